"""Template-generated training texts for the devices GoEmotions rarely teaches.

Negated emotions, negation that intensifies ("never been angrier"), litotes ("not bad"),
diminishers, intensifiers, contrast ("I expected X, but Y") and sarcasm markers, each with
GoEmotions labels a reader would give, plus sincere counterparts so a marker alone does not
become a label. Each text also gets a weak VAD target: the mean VAD anchor of its labels,
with arousal raised for intensified and lowered for diminished texts.

The lexicons and contexts here were written separately from the minimal-pair suites
(``evaluation/suites/``) and avoid their situations; ``generate`` refuses any text that
appears in a suite. A first round of constructions was written before the main suite was
run; a second round (praise + mishap, "so glad ...", "can't wait to ...", "how thoughtful of
you to ...", echoes, negated verbs, loud intensifiers, arousal in the weak targets) after
seeing which categories it failed. The holdout suite was written before the second round
and never looked at while designing it. Round 3 (:mod:`affectlens.training.augment_informal`:
emoji, slang praise, more sarcasm) comes after them, so rounds 1 and 2 generate as before.
Round 4 (:func:`_round4`, last) intensifies and diminishes plain feelings and plain
judgements of things ("the album was incredibly good"), not only feelings that are already
loud: after round 3's sarcasm and slang, builds heard "absolutely" or "so" as no stronger
than their absence (docs/training.md). Intensified weak targets also move valence away from
neutral, diminished ones toward it, as readers rate them. Round 5
(:mod:`affectlens.training.augment_everyday`, after round 4) is everyday English: good news in
a message, loneliness, understatement, eye-rolling complaints, support agents apologising
and putting things right, laughter that "kills", worry, short reviews.

    python -m affectlens.training augment --out runs/augment.jsonl
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

from affectlens.training import augment_everyday, augment_informal

__all__ = ["generate", "write"]

SUBJECTS = [
    "I'm",
    "I am",
    "Honestly, I'm",
    "To be fair, I'm",
    "We're",
    "My dad is",
    "She's",
    "He is",
    "My roommate is",
    "Our coach is",
]
CONTEXTS = [
    "about the vote",
    "with my grades",
    "about the new neighbours",
    "after the phone call",
    "about the weekend",
    "with the landlord",
    "about moving house",
    "with the outcome",
    "about the match",
    "with my sister",
    "after the appointment",
    "about the audition",
    "about the budget",
    "with the contractor",
    "about the wedding",
    "about the election",
    "about the lecture",
    "with the new software",
    "about the fundraiser",
    "after the game",
    "about the road trip",
    "with the neighbours' dog",
    "about the school play",
    "about the garden",
    "with the bank",
]
# adjective -> GoEmotions label
NEGATIVE = {
    "angry": "anger",
    "mad": "anger",
    "furious": "anger",
    "annoyed": "annoyance",
    "irritated": "annoyance",
    "sad": "sadness",
    "upset": "sadness",
    "down": "sadness",
    "scared": "fear",
    "frightened": "fear",
    "worried": "nervousness",
    "nervous": "nervousness",
    "anxious": "nervousness",
    "embarrassed": "embarrassment",
    "ashamed": "embarrassment",
    "disappointed": "disappointment",
    "disgusted": "disgust",
    "confused": "confusion",
    "guilty": "remorse",
    "bitter": "annoyance",
}
FEARFUL = {"fear", "nervousness"}
POSITIVE = {
    "happy": "joy",
    "glad": "joy",
    "pleased": "joy",
    "excited": "excitement",
    "thrilled": "excitement",
    "proud": "pride",
    "grateful": "gratitude",
    "hopeful": "optimism",
    "impressed": "admiration",
    "relieved": "relief",
    "amused": "amusement",
    "satisfied": "approval",
}
COMPARATIVES = {
    "angrier": "anger",
    "happier": "joy",
    "prouder": "pride",
    "sadder": "sadness",
    "more scared": "fear",
    "more excited": "excitement",
    "more embarrassed": "embarrassment",
    "more grateful": "gratitude",
    "more disgusted": "disgust",
    "more relieved": "relief",
    "more impressed": "admiration",
    "more nervous": "nervousness",
    "more disappointed": "disappointment",
    "more confused": "confusion",
    "more annoyed": "annoyance",
}
NOTHING_VERBS = {
    "annoys": ("annoyance", ["people who chew with their mouths open", "slow walkers in narrow halls", "unanswered emails"]),
    "scares": ("fear", ["deep water at night", "the thought of losing my parents", "driving on icy mountain roads"]),
    "delights": ("joy", ["a quiet breakfast on the balcony", "my nephew's laugh", "finding a good book in a used shop"]),
    "amuses": ("amusement", ["my cat chasing her own tail", "badly dubbed old films", "my uncle's terrible puns"]),
    "disgusts": ("disgust", ["people spitting on the pavement", "mouldy leftovers", "cruelty to animals"]),
    "saddens": ("sadness", ["empty playgrounds in winter", "old photos of my grandfather", "abandoned pets"]),
}
MILD = {
    "annoyed": "annoyance",
    "sad": "sadness",
    "nervous": "nervousness",
    "worried": "nervousness",
    "disappointed": "disappointment",
    "embarrassed": "embarrassment",
    "happy": "joy",
    "surprised": "surprise",
    "confused": "confusion",
    "curious": "curiosity",
    "impressed": "admiration",
    "hopeful": "optimism",
    "uneasy": "nervousness",
    "irritated": "annoyance",
    "pleased": "joy",
    "jealous": "annoyance",
}
STRONG = {
    "furious": ["anger"],
    "livid": ["anger"],
    "enraged": ["anger"],
    "devastated": ["sadness"],
    "heartbroken": ["sadness"],
    "terrified": ["fear"],
    "petrified": ["fear"],
    "ecstatic": ["joy", "excitement"],
    "overjoyed": ["joy"],
    "repulsed": ["disgust"],
    "mortified": ["embarrassment"],
    "thrilled": ["excitement"],
    "delighted": ["joy"],
    "astonished": ["surprise"],
    "stunned": ["surprise"],
    "grateful": ["gratitude"],
    "proud": ["pride"],
}
DIMINISHERS = ["a little", "a bit", "slightly", "somewhat", "kind of", "a tad", "mildly", "a touch"]
INTENSIFIERS = ["absolutely", "utterly", "completely", "incredibly", "extremely", "totally", "so", "truly"]
MORE_INTENSIFIERS = ["unbelievably", "ridiculously", "really", "deeply", "super", "beyond"]
JUDGEMENTS = {  # a plain judgement of a thing, and what a reader hears in it
    "good": "admiration",
    "great": "admiration",
    "nice": "approval",
    "lovely": "admiration",
    "beautiful": "admiration",
    "fun": "joy",
    "moving": "admiration",
    "bad": "disappointment",
    "boring": "disappointment",
    "dull": "disappointment",
    "awful": "disappointment",
    "annoying": "annoyance",
    "confusing": "confusion",
    "gross": "disgust",
}
EXTREME_JUDGEMENTS = {"great", "lovely", "beautiful", "moving", "awful", "gross"}  # not "a bit awful"
THINGS = [
    "the exhibition",
    "the new cafe",
    "the documentary",
    "the season finale",
    "the workshop",
    "the album",
    "the rental flat",
    "the tour",
]
SARCASM_MARKERS = [
    "Oh great",
    "Oh wonderful",
    "Fantastic",
    "Oh joy",
    "Lovely",
    "Splendid",
    "Terrific",
    "Marvelous",
    "Oh perfect",
    "Well done",
    "Real nice",
    "Way to go",
    "Brilliant",
]
SARCASM_TAILS = [
    "Just what I needed.",
    "Love that for me.",
    "How lovely.",
    "Exactly how I wanted to spend my day.",
    "Yay.",
    "/s",
    "Living the dream.",
    "Best day ever.",
    "Couldn't be happier.",
    "Lucky me.",
]
NEGATIVE_EVENTS = [
    "the wifi died in the middle of my call",
    "the bus left right before I got to the stop",
    "I spilled soup all over my notes",
    "the rent went up again",
    "my phone screen cracked on day one",
    "the heating broke in the coldest week of the year",
    "my flight was overbooked and I got bumped",
    "I locked myself out in my pyjamas",
    "the shop ran out of bread again",
    "the neighbours started drilling at seven",
    "the server went down during the demo",
    "it snowed on the day of the barbecue",
    "my umbrella turned inside out",
    "the elevator is broken and I live on the ninth floor",
    "the form rejected my address for the fifth time",
    "someone took my parking space again",
    "the restaurant lost our reservation",
    "my headphones broke the day the warranty ended",
]
POSITIVE_EVENTS = {
    "the bakery still had fresh croissants": ["joy"],
    "we won the quiz night": ["excitement", "joy"],
    "my sister got the scholarship": ["joy", "pride"],
    "the repair was free": ["joy", "surprise"],
    "the sun came out for the barbecue": ["joy"],
    "my old friend is visiting next week": ["excitement"],
    "the garden finally bloomed": ["joy", "admiration"],
    "the heating works again": ["relief", "joy"],
    "the landlord fixed the leak in one day": ["joy", "surprise"],
    "my grandmother learned to video call": ["joy", "amusement"],
    "the library extended my loans": ["joy"],
    "our team made the finals": ["excitement", "pride"],
    "the vet says the cat is perfectly healthy": ["relief", "joy"],
    "the new bridge opened early": ["joy", "surprise"],
    "my brother passed his driving test": ["pride", "joy"],
    "the snow day gave us a long weekend": ["excitement", "joy"],
}
NEGATIVE_ACTIONS = [
    "ruining my evening",
    "telling me at the very last minute",
    "eating the last slice without asking",
    "leaving me to clean up alone",
    "forgetting my name again",
    "spoiling the ending",
    "borrowing my car and returning it empty",
    "cancelling an hour before",
    "volunteering me without asking",
    "the wonderful silence when I needed help",
]
POSITIVE_ACTIONS = [
    "watering my plants while I was away",
    "the lift home",
    "remembering my birthday",
    "fixing my bike",
    "the lovely dinner",
]
NAIVE_PLANS = ["ignoring the problem", "shouting at the printer", "skipping the instructions", "promising to start on Monday"]
PRAISE = ["Nice job", "Great work", "Well done", "Way to go", "Bravo", "Good going", "Excellent work", "Smooth move"]
MISHAPS = [
    "locking the keys in the car",
    "forgetting the tickets at home",
    "spilling coffee on the contract",
    "missing the only bus of the day",
    "burning the toast again",
    "losing the remote on day one",
    "knocking over the new vase",
    "sending the invite to the wrong group",
    "booking the wrong city",
    "shrinking my favourite sweater in the wash",
]
ACHIEVEMENTS = [
    "fixing the leaky tap",
    "finishing the marathon",
    "organising the fundraiser",
    "painting the fence",
    "passing your driving test",
    "cooking such a feast",
    "getting the band back together",
]
GLAD = ["So glad", "So happy", "Thrilled", "Delighted", "Just thrilled", "Overjoyed"]
GLAD_BAD = [
    "to be spending my birthday at the tax office",
    "the boiler broke the week my parents visit",
    "to hear the project is delayed again",
    "my train is running ninety minutes late",
    "to be on hold with the bank for the third hour",
    "the hotel gave our room away",
]
GLAD_GOOD = [
    "you made it home safely",
    "the surgery went well",
    "to finally meet your family",
    "the rain held off for the wedding",
]
CHORES = [
    "scrub the oven all weekend",
    "sit through a four-hour compliance training",
    "queue at the post office at lunch",
    "redo the spreadsheet from scratch",
    "spend the evening assembling flat-pack furniture",
]
TREATS = ["see you next week", "try the new ramen place", "hear all about your trip", "start my holiday"]
THOUGHTFUL = ["How thoughtful", "How considerate", "How kind", "How lovely"]
RUDE_ACTS = [
    "finish the milk and put the empty carton back",
    "take the last parking space",
    "reply-all with my salary",
    "borrow my charger and keep it",
]
KIND_ACTS = ["bring soup when I was sick", "water the plants", "remember my mum's birthday", "save me a seat"]
FIASCOS = [
    "Half the guests left before dessert",
    "The projector caught fire",
    "Nobody laughed at a single joke",
    "We lost by thirty points",
]
NEGATED_VERBS = {
    "disappoint": "neutral",
    "bother": "neutral",
    "scare": "relief",
    "upset": "neutral",
    "worry": "relief",
    "annoy": "neutral",
}
WONDERS = [
    "tasted anything so delicious",
    "heard a choir sing so beautifully",
    "seen a sunset so stunning",
    "read a book so moving",
    "met anyone so generous",
]
CONTRAST_PAST = [
    "I expected to be {x} {ctx}",
    "At first I felt {x} {ctx}",
    "Everyone told me I'd be {x} {ctx}",
    "For a while I was {x} {ctx}",
    "I was sure I would feel {x} {ctx}",
]
CONTRAST_NOW = [
    "but now I'm honestly {y}",
    "but in the end I'm {y}",
    "but I'm actually {y}",
    "yet it left me {y}",
    "but right now I just feel {y}",
]


def _anchors() -> dict[str, list[float]]:
    import yaml

    path = Path(__file__).resolve().parents[1] / "taxonomy" / "data" / "vad_anchors.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))["anchors"]["goemotions"]


def _raw(rng: random.Random) -> Iterator[tuple[str, str, list[str]]]:
    """(category, text, labels), many per category, before de-duplication."""
    pick = rng.choice
    for _ in range(1000):
        adj, label = pick(list(NEGATIVE.items()))
        subj, ctx = pick(SUBJECTS), pick(CONTEXTS)
        form = rng.randrange(5)
        if form == 0:
            yield "negated_negative", f"{subj} not {adj} {ctx}.", ["neutral"]
        elif form == 1:
            yield "negated_negative", f"{subj} no longer {adj} {ctx}.", ["relief" if label in FEARFUL else "neutral"]
        elif form == 2:
            yield "negated_negative", f"{subj} not {adj} {ctx} anymore.", ["relief" if label in FEARFUL else "neutral"]
        elif form == 3:
            yield "negated_negative", f"Honestly, {pick(THINGS)} doesn't make me {adj} at all.", ["neutral"]
        else:
            yield "negated_negative", f"I wasn't {adj} {ctx}, not even a little.", ["neutral"]
    for _ in range(650):
        subj, ctx = pick(SUBJECTS), pick(CONTEXTS)
        if rng.random() < 0.6:
            adj, label = pick(list(POSITIVE.items()))
            yield "negated_positive", f"{subj} not {adj} {ctx}.", ["disappointment"]
        else:
            verb = pick(["like", "love", "enjoy", "appreciate", "agree with", "approve of"])
            yield "negated_positive", f"I don't {verb} {pick(THINGS)} at all.", ["disapproval"]
    for _ in range(380):
        comp, label = pick(list(COMPARATIVES.items()))
        form = rng.randrange(3)
        if form == 0:
            yield "intensifying_negation", f"I have never been {comp} {pick(CONTEXTS)}.", [label]
        elif form == 1:
            yield "intensifying_negation", f"I couldn't be {comp} {pick(CONTEXTS)} if I tried.", [label]
        else:
            verb, (label, objects) = pick(list(NOTHING_VERBS.items()))
            yield "intensifying_negation", f"Nothing {verb} me more than {pick(objects)}.", [label]
    for _ in range(220):
        phrase = pick(
            [
                "was not bad",
                "was not bad at all",
                "wasn't terrible",
                "wasn't the worst",
                "was far from boring",
                "was not without its charm",
                "wasn't half bad",
                "was not a waste of time",
                "was no disaster",
            ]
        )
        yield "litotes", f"{pick(THINGS).capitalize()} {phrase}.", ["approval"]
    for _ in range(1400):
        event, form = pick(NEGATIVE_EVENTS), rng.choices(range(5), weights=[10, 6, 1, 2, 1])[0]
        labels = ["annoyance"] + (["disappointment"] if rng.random() < 0.3 else [])
        if form == 0:
            yield "sarcasm", f"{pick(SARCASM_MARKERS)}, {event}. {pick(SARCASM_TAILS)}", labels
        elif form == 1:
            yield "sarcasm", f"{pick(SARCASM_MARKERS)}. {event.capitalize()}.", labels
        elif form == 2:
            yield "sarcasm", f"Thanks for {pick(NEGATIVE_ACTIONS)}.", ["annoyance"]
        elif form == 3:
            yield "sarcasm", f"I just love it when {event}.", labels
        else:
            yield "sarcasm", f"Yeah, because {pick(NAIVE_PLANS)} always works.", ["disapproval"]
    for _ in range(700):
        event, labels = pick(list(POSITIVE_EVENTS.items()))
        form = rng.choices(range(3), weights=[6, 1, 2])[0]
        if form == 0:
            yield "sincere", f"{pick(SARCASM_MARKERS)}, {event}!", labels
        elif form == 1:
            yield "sincere", f"Thanks for {pick(POSITIVE_ACTIONS)}.", ["gratitude"]
        else:
            yield "sincere", f"I just love it when {event}.", ["love", *labels]
    for _ in range(420):
        adj, label = pick(list(MILD.items()))
        yield "diminisher", f"{pick(SUBJECTS)} {pick(DIMINISHERS)} {adj} {pick(CONTEXTS)}.", [label]
    for _ in range(420):
        adj, labels = pick(list(STRONG.items()))
        loud = adj.upper() if rng.random() < 0.2 else adj
        yield (
            "intensifier",
            f"{pick(SUBJECTS)} {pick(INTENSIFIERS)} {loud} {pick(CONTEXTS)}{pick(['!', '!!', '!!!', '.'])}",
            labels,
        )
    for _ in range(900):
        form = rng.randrange(8)
        if form == 0:
            yield "sarcasm", f"{pick(PRAISE)} {pick(MISHAPS)}.", ["annoyance"]
        elif form == 1:
            yield "sincere", f"{pick(PRAISE)} {pick(ACHIEVEMENTS)}!", ["admiration"]
        elif form == 2:
            yield "sarcasm", f"{pick(GLAD)} {pick(GLAD_BAD)}.", ["annoyance"]
        elif form == 3:
            yield "sincere", f"{pick(GLAD)} {pick(GLAD_GOOD)}.", ["joy"]
        elif form == 4:
            yield "sarcasm", f"Can't wait to {pick(CHORES)}.", ["annoyance"]
        elif form == 5:
            yield "sincere", f"Can't wait to {pick(TREATS)}!", ["excitement"]
        elif form == 6:
            yield "sarcasm", f"{pick(THOUGHTFUL)} of you to {pick(RUDE_ACTS)}.", ["annoyance"]
        else:
            yield "sincere", f"{pick(THOUGHTFUL)} of you to {pick(KIND_ACTS)}.", ["gratitude"]
    for _ in range(250):
        form = rng.randrange(4)
        if form == 0:
            marker = pick(SARCASM_MARKERS)
            yield "sarcasm", f"{marker}. {pick(NEGATIVE_EVENTS).capitalize()}. Just {marker.split()[-1].lower()}.", ["annoyance"]
        elif form == 1:
            yield "sarcasm", f"Well, that went well. {pick(FIASCOS)}.", ["annoyance", "disappointment"]
        elif form == 2:
            verb, label = pick(list(NEGATED_VERBS.items()))
            yield "negated_negative", f"{pick(THINGS).capitalize()} didn't {verb} me in the slightest.", [label]
        else:
            yield "intensifying_negation", f"I have never {pick(WONDERS)}.", ["admiration"]
    for _ in range(420):
        x = pick(list(NEGATIVE) + list(POSITIVE))
        y_table = POSITIVE if x in NEGATIVE else NEGATIVE
        y, label = pick(list(y_table.items()))
        past = pick(CONTRAST_PAST).format(x=x, ctx=pick(CONTEXTS))
        yield "contrast", f"{past}, {pick(CONTRAST_NOW).format(y=y)}.", [label]
    yield from augment_informal.raw(rng)
    yield from _round4(rng)
    yield from augment_everyday.raw(rng)


def _round4(rng: random.Random) -> Iterator[tuple[str, str, list[str]]]:
    """Intensifiers and diminishers on plain feelings and plain judgements of things."""
    pick = rng.choice
    feelings = {**POSITIVE, **NEGATIVE}
    boosters = INTENSIFIERS + MORE_INTENSIFIERS
    for _ in range(360):
        adj, label = pick(list(feelings.items()))
        yield "intensifier", f"{pick(SUBJECTS)} {pick(boosters)} {adj} {pick(CONTEXTS)}{pick(['!', '!!', '.'])}", [label]
    for _ in range(240):
        adj, label = pick(list(JUDGEMENTS.items()))
        verb = pick(["was", "is"])
        yield "intensifier", f"{pick(THINGS).capitalize()} {verb} {pick(boosters)} {adj}{pick(['!', '!!', '.'])}", [label]
    mild = [(adj, label) for adj, label in JUDGEMENTS.items() if adj not in EXTREME_JUDGEMENTS]
    for _ in range(160):
        adj, label = pick(mild)
        yield "diminisher", f"{pick(THINGS).capitalize()} was {pick(DIMINISHERS)} {adj}.", [label]


def _suite_texts() -> set[str]:
    """Every text of every shipped minimal-pair suite (never generated)."""
    import yaml

    out: set[str] = set()
    for path in (Path(__file__).resolve().parents[1] / "evaluation" / "suites").glob("*.yaml"):
        suite = yaml.safe_load(path.read_text(encoding="utf-8"))
        out |= {t.lower().strip() for p in suite.get("pairs", []) for t in (p["a"], p["b"])}
        out |= {item["text"].lower().strip() for item in suite.get("items", [])}  # insults.yaml
    return out


def generate(seed: int = 7) -> list[dict[str, object]]:
    """Unique generated examples: ``{"text", "labels", "vad", "category"}``."""
    rng = random.Random(seed)
    anchors = _anchors()
    held_out = _suite_texts()
    seen: set[str] = set()
    out = []
    for category, text, labels in _raw(rng):
        key = text.lower()
        if key in seen or key.strip() in held_out:
            continue
        seen.add(key)
        vad = [sum(anchors[label][k] for label in labels) / len(labels) for k in range(3)]
        if category == "intensifier":  # a reader hears "absolutely furious" as more aroused, and further from neutral
            vad[0] = max(-1.0, min(1.0, vad[0] * 1.25))
            vad[1] = min(1.0, vad[1] * 1.3 + 0.1)
        elif category == "diminisher":
            vad[0] = vad[0] * 0.75
            vad[1] = vad[1] * 0.5
        vad = [round(v, 3) for v in vad]
        out.append({"text": text, "labels": sorted(set(labels)), "vad": vad, "category": category})
    return out


def write(path: Path, seed: int = 7) -> int:
    rows = generate(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    return len(rows)
