"""Round 3 of the generated training texts: the informal registers of tweets and chat.

Emoji that laugh (😂 🤣 💀), cry (😭 😢), praise (🔥), roll their eyes (🙄), fume (😡),
celebrate (🎉) or are moved (🥹 ❤️); slang that praises with words that are literally
negative ("sick", "insane", "killing it", "slaps", "I'm dead"); and further sarcasm forms
(praise words over a mishap, "love that for me", "exactly what I wanted"). Each device comes
with its literal counterpart, so the word or the emoji alone does not become the label: "I
feel sick" stays sad, "the traffic was insane" stays annoyed, a plain mundane event stays
neutral.

Written from the devices of the *development* robustness suite
(``evaluation/suites/robustness.yaml``) only, with situations of its own; the held-out
suite (``robustness_holdout.yaml``) was written before this module and not read while
writing it. :func:`affectlens.training.augment.generate` still refuses any text that
appears in any suite.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

__all__ = ["raw"]

FUNNY = [
    "my dog stole a whole baguette and ran off with it",
    "the teacher's cat walked across the screen during the lesson",
    "my dad tried to use the voice assistant and it ordered forty lemons",
    "the goat at the petting zoo ate my map",
    "my little brother wore his shirt backwards to the interview",
    "the parrot keeps imitating the microwave beep",
    "the bride's nephew fell asleep in the cake",
    "grandpa sent a thumbs up to the entire family group by accident",
    "the autocorrect changed my boss's name to Banana",
    "the seagull grabbed his sandwich mid-sentence",
    "our GPS told us to drive into the lake",
    "the kid on the train narrated everything his dad did",
]
MUNDANE = [
    "The train arrived.",
    "I made a sandwich.",
    "We walked to the shop.",
    "The delivery came today.",
    "My sister called this afternoon.",
    "The meeting started at ten.",
    "I read the news.",
    "We had pasta for dinner.",
    "The printer is on the second floor.",
    "He sent the report.",
]
LAUGH_EMOJI = ["😂", "😂😂", "😂😂😂", "🤣", "🤣🤣", "💀", "💀💀", "😂🤣"]
LAUGH_LEAD = ["", "lmao ", "I can't ", "I'm crying ", "stop ", "not me laughing, ", "help ", "omg "]
SAD_EVENTS = {
    "my cat died last night": ["grief", "sadness"],
    "we had to put our old dog down": ["grief", "sadness"],
    "I didn't get the job": ["sadness", "disappointment"],
    "my best friend is moving across the country": ["sadness"],
    "I miss my mum so much today": ["sadness"],
    "the hospital called with bad news": ["sadness", "fear"],
    "nobody came to my party": ["sadness", "disappointment"],
    "my grandad doesn't recognise me anymore": ["sadness", "grief"],
}
CRY_EMOJI = ["😭", "😢", "😭😭", "😢💔", "💔"]
CUTE = {
    "this baby otter holding hands": ["love", "admiration"],
    "my niece drew me a card": ["love", "joy"],
    "the kitten fell asleep on my hand": ["love", "joy"],
    "he proposed at the spot where we met": ["love", "joy"],
    "my students threw me a surprise goodbye party": ["joy", "gratitude"],
    "the old couple still holds hands on every walk": ["love", "admiration"],
}
MOVED_EMOJI = ["😭", "😭😭", "🥹", "🥹❤️", "🥺", "❤️❤️", "😭❤️"]
PRAISED = [
    "this new track",
    "her outfit",
    "the food at that taco truck",
    "his new painting",
    "the finale",
    "this mixtape",
    "the trailer",
    "their new menu",
    "the sneaker drop",
    "that drawing",
]
FIRE = ["🔥", "🔥🔥", "🔥🔥🔥", "💯", "🔥💯"]
ANNOYING = [
    "The landlord cancelled the repair again",
    "Someone microwaved fish in the office",
    "My train is late for the fourth day in a row",
    "The app logged me out mid-payment",
    "They changed the password rules again",
    "Customer service put me on hold twice",
]
EYEROLL = ["🙄", "🙄🙄", "😒", "🙄😤"]
INFURIATING = [
    "They towed my car from my own driveway",
    "The airline lost my luggage and hung up on me",
    "He lied to my face about the money",
    "The company cut our pay without warning",
]
ANGRY_EMOJI = ["😡", "🤬", "😡😡", "😤"]
WINS = {
    "I got the internship": ["joy", "excitement"],
    "We finally paid off the mortgage": ["joy", "relief"],
    "My sister defended her thesis": ["pride", "joy"],
    "Our little team won the regional cup": ["excitement", "joy"],
    "The adoption went through": ["joy", "excitement"],
}
PARTY = ["🎉", "🎉🎉", "🥳", "🥳🎉", "🙌"]
EMOJI_ONLY = {
    "🤣🤣": ["amusement"],
    "😂😂😂😂": ["amusement"],
    "💀💀💀": ["amusement"],
    "😢😢": ["sadness"],
    "💔💔": ["sadness"],
    "😡😡😡": ["anger"],
    "🙄🙄": ["annoyance"],
    "❤️❤️❤️": ["love"],
    "🎉🎉🎉": ["excitement"],
    "🔥🔥": ["admiration"],
}
# slang praise -> the literal use of the same word, each with its labels
SLANG_PRAISE = [
    ("{thing} is sick", ["admiration"]),
    ("{thing} is so sick, I need it", ["admiration", "desire"]),
    ("{thing} is insane, in the best way", ["admiration", "excitement"]),
    ("{thing} is crazy good", ["admiration"]),
    ("{thing} slaps", ["admiration", "approval"]),
    ("{thing} goes hard", ["admiration"]),
    ("{thing} hits different", ["admiration", "joy"]),
    ("{thing} is a banger", ["admiration", "joy"]),
    ("{thing} is unreal", ["admiration", "surprise"]),
    ("{thing} is fire", ["admiration"]),
    ("{thing} is stupid good", ["admiration"]),
    ("{thing} is lit", ["excitement", "admiration"]),
    ("{thing} is wicked good", ["admiration"]),
    ("{thing} is filthy, wow", ["admiration", "surprise"]),
    ("{thing} is nuts, can't stop replaying it", ["admiration", "excitement"]),
]
SLANG_PEOPLE = [
    ("{who} absolutely killed it tonight", ["admiration"]),
    ("{who} is killing it lately", ["admiration", "approval"]),
    ("{who} crushed it", ["admiration"]),
    ("{who} ate that, no crumbs", ["admiration"]),
    ("{who} is a beast on the court", ["admiration"]),
    ("{who} is a monster at the piano", ["admiration"]),
    ("{who} went off, that was wild", ["admiration", "excitement"]),
    ("{who} is an absolute legend", ["admiration"]),
]
WHO = ["The drummer", "My little sister", "Our goalie", "The new guy", "That chef", "The opening act", "My coach"]
SLANG_LAUGH = [
    ("I'm dead, {funny}", ["amusement"]),
    ("I'm deceased, {funny}", ["amusement"]),
    ("I'm screaming, {funny}", ["amusement"]),
    ("{funny}, I'm crying", ["amusement"]),
    ("{funny}, this killed me", ["amusement"]),
    ("{funny} and I can't breathe", ["amusement"]),
]
LITERAL = [
    ("I've been sick all week and can't keep anything down", ["sadness"]),
    ("I feel sick about what happened to them", ["sadness", "disgust"]),
    ("The queue at the clinic was insane, three hours", ["annoyance"]),
    ("The prices at that place are insane, I'm never going back", ["annoyance", "disapproval"]),
    ("My knees are killing me after that hike", ["sadness"]),
    ("The heat is killing me", ["annoyance"]),
    ("My laptop is dead and my essay is due", ["nervousness", "sadness"]),
    ("He's dead, the accident was this morning", ["grief", "sadness"]),
    ("The winter has been brutal for the farmers", ["sadness"]),
    ("That review was brutal and unfair", ["disapproval", "sadness"]),
    ("The manager was a beast to the new staff", ["anger", "disapproval"]),
    ("It's crazy how rude people are to cashiers", ["disapproval", "annoyance"]),
    ("The building is on fire, everyone get out", ["fear"]),
    ("I cried all night after the funeral", ["grief", "sadness"]),
    ("I laughed it off but it really hurt", ["sadness"]),
]
SARCASTIC_PRAISE = ["Amazing", "Wonderful", "Perfect", "Fabulous", "Incredible", "Stellar", "Super"]
SARCASTIC_BAD = [
    "the printer jammed five minutes before the deadline",
    "my coffee went cold while I was on hold",
    "the plumber didn't show up for the third time",
    "the hotel pool is closed for the whole week",
    "the new update moved every button",
    "my neighbour is practising the drums at midnight",
    "the wifi password changed and nobody told us",
]
SARCASTIC_TAILS = [
    "Love that for me.",
    "Exactly what I wanted.",
    "Just what my week needed.",
    "Really appreciate it.",
    "Best service ever.",
    "Truly thrilled.",
    "Ten out of ten.",
    "So fun.",
]
SINCERE_GOOD = [
    "the plumber came early and fixed everything",
    "my coffee order was ready when I walked in",
    "the hotel upgraded our room for free",
    "the printer worked first time",
    "my neighbour dropped off fresh tomatoes",
]
THANKS_BAD = [
    "Thanks a lot for eating my leftovers",
    "Thanks so much for telling everyone my secret",
    "Thank you for the parking ticket, very kind",
    "Appreciate you replying a month later",
    "Thanks for the help, said no one",
]


def raw(rng: random.Random) -> Iterator[tuple[str, str, list[str]]]:
    """(category, text, labels) for round 3, many per category, before de-duplication."""
    pick = rng.choice
    for _ in range(1600):
        form = rng.randrange(10)
        funny = pick(FUNNY)
        if form <= 2:
            yield "emoji", f"{pick(LAUGH_LEAD)}{funny} {pick(LAUGH_EMOJI)}", ["amusement"]
        elif form == 3:
            event, labels = pick(list(SAD_EVENTS.items()))
            yield "emoji", f"{event.capitalize()} {pick(CRY_EMOJI)}", labels
        elif form == 4:
            scene, labels = pick(list(CUTE.items()))
            yield "emoji", f"{scene.capitalize()} {pick(MOVED_EMOJI)}", labels
        elif form == 5:
            yield "emoji", f"{pick(PRAISED).capitalize()} is {pick(FIRE)}", ["admiration"]
        elif form == 6:
            yield "emoji", f"{pick(ANNOYING)} {pick(EYEROLL)}", ["annoyance"]
        elif form == 7:
            yield "emoji", f"{pick(INFURIATING)} {pick(ANGRY_EMOJI)}", ["anger"]
        elif form == 8:
            event, labels = pick(list(WINS.items()))
            yield "emoji", f"{event} {pick(PARTY)}", labels
        else:
            text, labels = pick(list(EMOJI_ONLY.items()))
            yield "emoji", text, labels
    for _ in range(120):  # the same situations without the emoji: the emoji carries the feeling
        yield "literal", pick(MUNDANE), ["neutral"]
    for _ in range(1600):
        form = rng.randrange(4)
        if form == 0:
            template, labels = pick(SLANG_PRAISE)
            end = pick(["", "!", " 🔥", ", no cap", "!!"])
            yield "slang", template.format(thing=pick(PRAISED)).capitalize() + end, labels
        elif form == 1:
            template, labels = pick(SLANG_PEOPLE)
            yield "slang", template.format(who=pick(WHO)) + pick(["!", "", " 🔥", "!!"]), labels
        elif form == 2:
            template, labels = pick(SLANG_LAUGH)
            yield "slang", template.format(funny=pick(FUNNY)), labels
        else:
            text, labels = pick(LITERAL)
            yield "literal", text + pick([".", "", "!"]), labels
    for _ in range(900):
        form = rng.randrange(5)
        if form == 0:
            yield "sarcasm", f"{pick(SARCASTIC_PRAISE)}, {pick(SARCASTIC_BAD)}. {pick(SARCASTIC_TAILS)}", ["annoyance"]
        elif form == 1:
            yield "sarcasm", f"{pick(SARCASTIC_BAD).capitalize()}. {pick(SARCASTIC_TAILS)}", ["annoyance"]
        elif form == 2:
            yield "sarcasm", f"{pick(THANKS_BAD)}.", ["annoyance"]
        elif form == 3:
            yield "sarcasm", f"{pick(SARCASTIC_PRAISE)}, {pick(SARCASTIC_BAD)} 🙄", ["annoyance"]
        else:
            yield "sincere", f"{pick(SARCASTIC_PRAISE)}, {pick(SINCERE_GOOD)}!", ["joy"]
