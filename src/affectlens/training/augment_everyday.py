"""Round 5 of the generated training texts: everyday English that GoEmotions' Reddit comments
rarely hold.

Good news told in a message (a job, a house, a baby, a test passed), loneliness and low mood
said plainly ("nobody texts back"), disappointment said as an understatement ("I'm not angry,
just disappointed", "could have gone better"), complaints about waiting with an eye-roll,
support agents who apologise and put things right (their words name the customer's
frustration without being angry), customers who thank them, laughter that "kills" or makes
someone "die" with a laughing emoji, worry while waiting, and short product reviews. Each
device comes with a counterpart where one exists (a support agent's plain statement of what
was done is neutral; "not angry, just tired" is not joy).

Written from the categories of the *development* everyday suite
(``evaluation/suites/everyday.yaml``) with situations of its own; the held-out suite
(``everyday_holdout.yaml``) was written before this module and not read while writing it.
:func:`affectlens.training.augment.generate` still refuses any text that appears in any suite.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

__all__ = ["raw"]

GOOD_NEWS = {
    "got the promotion": ["joy"],
    "passed my final exam": ["joy", "pride"],
    "finally handed in my thesis": ["joy", "relief"],
    "got my visa approved": ["joy", "relief"],
    "landed the internship": ["joy", "excitement"],
    "won the pub quiz": ["joy", "pride"],
    "got engaged last night": ["joy", "love"],
    "our offer on the flat was accepted": ["joy", "excitement"],
    "our little boy arrived this morning": ["joy", "love"],
    "made the first team": ["joy", "pride"],
    "paid off the last of my student loan": ["joy", "relief", "pride"],
    "got my first proper paycheck": ["joy", "pride"],
    "booked our honeymoon": ["excitement"],
    "got the apartment": ["joy", "excitement"],
    "signed the contract for my first book": ["joy", "pride"],
    "got my braces off": ["joy"],
    "got a yes from the adoption agency": ["joy", "excitement"],
    "passed my citizenship test": ["joy", "pride"],
}
NEWS_FORMS = [
    ("Just {news}!!! {party}", None),
    ("{News} {party}{party}", None),
    ("WE {NEWS}", ["excitement"]),
    ("{News}, still can't believe it", ["surprise"]),
    ("Guess who {news}? This guy!!", None),
    ("{News} and I'm over the moon", None),
    ("{News}. Best day in ages.", None),
    ("omg I {news} {party}", ["excitement"]),
]
PARTY = ["🎉", "🥳", "🙌", "❤️", "✨", "🍾"]
OTHERS = {
    "my sister": "she",
    "my son": "he",
    "my best friend": "she",
    "my dad": "he",
    "my daughter": "she",
    "my flatmate": "he",
}
FEATS = [
    "finished her first triathlon",
    "graduated top of the class",
    "got through his first week at the new school",
    "started the business she always talked about",
    "learned to ride a bike without stabilisers",
    "beat his personal best",
]
LONELY_TIMES = ["Another Friday night", "Sunday evening", "Christmas this year", "Since the move", "Tonight", "Every weekend"]
LONELY_SCENES = [
    "and nobody replied to my message",
    "and I ate dinner alone again",
    "and the flat feels so empty",
    "and I haven't had a real conversation in weeks",
    "and my friends all seem too busy for me",
    "and no one asked how I was doing",
    "and the phone never rings",
    "and I'm the only one not invited",
]
LONELY_FEELINGS = ["lonely", "so alone", "left out", "forgotten", "invisible", "empty", "really low", "like nobody cares"]
LOW_MOOD = [
    "What's even the point anymore.",
    "Can't find a reason to get up these days.",
    "Everything feels grey lately.",
    "Don't really see the point of trying anymore.",
    "I just feel numb all the time.",
]
NOT_ANGRY = ["angry", "mad", "cross", "upset with you", "furious"]
JUST = {"disappointed": ["disappointment"], "let down": ["disappointment"], "hurt": ["sadness"], "sad about it": ["sadness"]}
UNDERSTATED = [
    "{Thing} could have gone better.",
    "{Thing} was not exactly what I'd hoped for.",
    "{Thing} was... not great.",
    "{Thing} didn't quite go to plan.",
    "Let's just say {thing} was not my finest hour.",
    "{Thing} was less than ideal, to put it mildly.",
]
THINGS = [
    "the interview",
    "the first date",
    "my driving lesson",
    "the presentation",
    "the camping trip",
    "the dinner party",
    "the exam",
    "the move",
]
WAITS = [
    "waiting two months for a repair",
    "being on hold for an hour",
    "a parcel that's ten days late",
    "paying for a service that never works",
    "a bus that never shows up",
    "chasing the same invoice for the fifth time",
]
NORMAL = ["totally normal", "completely fine", "what everyone expects", "great customer service"]
EYE_ROLL = ["🙄", "🙃", "😒", ""]
AGENT_SORRY = [
    "I'm so sorry about the mix-up",
    "I apologise for the inconvenience",
    "I'm really sorry this happened",
    "Sorry for the wait, and for the trouble",
    "My apologies, that was our mistake",
]
AGENT_EMPATHY = [
    "I completely understand how frustrating that must be",
    "I can see why you're upset",
    "I hear you, that sounds really annoying",
    "I understand your frustration",
    "That's not the experience we want you to have",
]
AGENT_ACTIONS = [
    "I've issued a full refund",
    "I've sent a replacement by express delivery",
    "I've credited your account with the difference",
    "I've cancelled the extra charge",
    "I've booked an engineer for Thursday morning",
    "I've reset your password and unlocked the account",
    "I've moved your order to the front of the queue",
]
AGENT_TAILS = [
    "it should arrive on Friday",
    "you'll get an email confirmation shortly",
    "you'll see it on your statement in three to five days",
    "is there anything else I can help with?",
    "",
]
THANKS_AGENT = [
    "Thank you, that's fixed it",
    "Brilliant, thanks so much for sorting that",
    "Cheers, really appreciate the quick help",
    "Thanks for being so patient with me",
    "That's perfect, thank you",
]
LAUGHS = [
    "that video of the cat falling off the sofa",
    "my nan's autocorrect",
    "the way he announced it to the whole bus",
    "this tweet",
    "the dog's face when the toast popped",
    "your voice note",
]
LAUGH_FORMS = ["lol {x} is killing me {e}", "{x} has me dying {e}", "{x} 💀💀 I can't breathe", "haha {x} {e} I'm crying"]
LAUGH_EMOJI = ["😂😂", "🤣", "😂", "🤣🤣"]
WORRIES = [
    ("Still no news from the hospital", ["nervousness"]),
    ("She hasn't replied since this morning", ["nervousness", "fear"]),
    ("The results come back on Monday", ["nervousness"]),
    ("They're announcing job cuts next week", ["nervousness", "fear"]),
    ("The storm is heading straight for my parents' town", ["fear"]),
    ("My flight connection is forty minutes", ["nervousness"]),
]
WORRY_TAILS = [
    "and I can't stop worrying",
    "and I'm starting to panic",
    "and I've barely slept",
    "and my stomach is in knots",
    "and I keep checking my phone",
]
PRODUCTS = ["The blender", "This charger", "The backpack", "My new kettle", "The phone case", "These earbuds"]
FAILURES = ["broke after a week", "stopped charging after ten days", "fell apart on the first trip", "died after a month"]
BAD_VERDICTS = ["Waste of money.", "Very disappointed.", "Would not recommend.", "Returning it."]
GOOD_POINTS = ["Friendly staff", "Clean rooms", "Fast delivery", "Great value", "Comfortable beds", "Tasty food", "Easy setup"]
GOOD_VERDICTS = ["would definitely come back", "highly recommend", "five stars from me", "can't fault it"]


def raw(rng: random.Random) -> Iterator[tuple[str, str, list[str]]]:
    """(category, text, labels) for round 5, before de-duplication."""
    pick = rng.choice
    for _ in range(260):
        news, labels = pick(list(GOOD_NEWS.items()))
        form, extra = pick(NEWS_FORMS)
        text = form.format(news=news, News=news[0].upper() + news[1:], NEWS=news.upper(), party=pick(PARTY))
        yield "celebration", text.strip(), labels + (extra or [])
    for _ in range(60):
        who, pronoun = pick(list(OTHERS.items()))
        feat = pick(FEATS).replace("her ", "his " if pronoun == "he" else "her ")
        yield "celebration", f"So proud of {who}, {pronoun} {feat}!", ["admiration", "pride"]
    for _ in range(160):
        if rng.random() < 0.5:
            yield "loneliness", f"{pick(LONELY_TIMES)} {pick(LONELY_SCENES)}.", ["sadness"]
        else:
            yield "loneliness", f"Feeling {pick(LONELY_FEELINGS)} {pick(['tonight', 'again', 'lately', 'today'])}.", ["sadness"]
    for text in LOW_MOOD:
        yield "loneliness", text, ["sadness"]
    for _ in range(80):
        just, labels = pick(list(JUST.items()))
        yield "understatement", f"I'm not {pick(NOT_ANGRY)}, just {just}.", labels
    for _ in range(80):
        thing = pick(THINGS)
        text = pick(UNDERSTATED).format(thing=thing, Thing=thing[0].upper() + thing[1:])
        yield "understatement", text, ["disappointment"]
    for _ in range(120):
        yield "complaint", f"Yeah sure, because {pick(WAITS)} is {pick(NORMAL)} {pick(EYE_ROLL)}".strip(), ["annoyance"]
    for _ in range(300):
        form = rng.randrange(4)
        action = pick(AGENT_ACTIONS)
        tail = pick(AGENT_TAILS)
        tail = f", {tail}" if tail and not tail.endswith("?") else (f". {tail[0].upper()}{tail[1:]}" if tail else "")
        if form == 0:
            yield "support", f"{pick(AGENT_SORRY)}. {action}{tail}.".replace("?.", "?"), ["remorse"]
        elif form == 1:
            yield "support", f"{pick(AGENT_EMPATHY)}. {action}{tail}.".replace("?.", "?"), ["caring"]
        elif form == 2:
            yield "support", f"{action}{tail}.".replace("?.", "?"), ["neutral"]
        else:
            yield "support", f"{pick(THANKS_AGENT)}{pick(['!', '.', ', have a good day!'])}", ["gratitude"]
    for _ in range(160):
        text = pick(LAUGH_FORMS).format(x=pick(LAUGHS), e=pick(LAUGH_EMOJI))
        yield "emoji", text, ["amusement"]
    for _ in range(120):
        event, labels = pick(WORRIES)
        yield "worry", f"{event} {pick(WORRY_TAILS)}.", labels
    for _ in range(80):
        yield "review", f"{pick(PRODUCTS)} {pick(FAILURES)}. {pick(BAD_VERDICTS)}", ["disappointment"]
    for _ in range(80):
        points = rng.sample(GOOD_POINTS, 2)
        yield "review", f"{points[0]}, {points[1].lower()}, {pick(GOOD_VERDICTS)}.", ["admiration", "approval"]
