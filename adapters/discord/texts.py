"""The few words the Discord adapter says itself: button and modal labels, slash-command parameter
descriptions, and the explanations only Discord needs (a private message sent, private messages closed).

The engine's gettext catalog is extracted from bot/ only, so these platform-specific strings live here, in
English (the key) and French (the default language), following config/locales/README.md's French style.
"""

from __future__ import annotations

FRENCH: dict[str, str] = {
    "Answer": "Répondre",
    "Your answer": "Votre réponse",
    "Choose…": "Choisir…",
    "Done.": "C'est fait.",
    "I sent you a private message.": "Je vous ai écrit en message privé.",
    "I sent you a private message: {link}": "Je vous ai écrit en message privé : {link}",
    "I cannot write to you in private: your direct messages are closed. Allow direct messages from this "
    "server's members (server menu → Privacy settings), then try again.": "Je ne peux pas vous écrire en "
    "privé : vos messages privés sont fermés. Autorisez les messages privés des membres de ce serveur (menu "
    "du serveur → Paramètres de confidentialité), puis réessayez.",
    # slash-command parameters
    "The question, or the whole poll: Question? | Option 1 | Option 2": "La question, ou tout le sondage : "
    "Question ? | Option 1 | Option 2",
    "Several choices per resident": "Plusieurs choix par habitant",
    "Show the voters' names under each option": "Afficher le nom des votants sous chaque option",
    "Show the results only once the poll is closed": "Résultats visibles seulement après la clôture",
    "When it closes: demain 18h, jeudi 19h, 2026-12-05 18:30…": "Clôture : demain 18h, jeudi 19h, "
    "2026-12-05 18:30…",
    "Poll number (the latest poll of this channel when empty)": "Numéro du sondage (le dernier de ce salon "
    "si vide)",
    "The language": "La langue",
    "Where to begin, as an invitation button does: poll, mydata, forget…": "Par où commencer, comme le fait "
    "un bouton d'invitation : poll, mydata, forget…",
}

# Parameter names as French-speaking members see them (lower case, no spaces: Discord's rule).
FRENCH_PARAMETER_NAMES: dict[str, str] = {
    "multi": "plusieurs",
    "hidden": "caches",
    "closes": "cloture",
    "topic": "sujet",
    "number": "numero",
    "language": "langue",
}


def say(language: str, text: str, **values: object) -> str:
    """`text` in `language` (French from the table above, English as written), placeholders filled."""
    template = FRENCH.get(text, text) if language == "fr" else text
    return template.format(**values) if values else template
