"""A small consultation using every question type and two display conditions, for the scenarios."""

from __future__ import annotations

SOURCE = """\
id: place-test
title:
  fr: "Réaménagement de la place"
  en: "Redesigning the square"
description: "Huit questions pour imaginer la place de demain."
thanks: "Merci pour votre participation !"
closes: "2026-12-20 18:00"
anonymous: true
results_public: true
questions:
  - id: frequence
    type: single_choice
    text: "À quelle fréquence venez-vous sur la place ?"
    options: ["Tous les jours", "Chaque semaine", "Rarement"]
  - id: arbres
    type: yes_no
    text: "Faut-il planter des arbres ?"
  - id: essences
    type: multiple_choice
    text: "Quelles essences ?"
    options: ["Tilleul", "Platane", "Érable"]
    min_choices: 1
    max_choices: 2
    show_if: {question: arbres, equals: "yes"}
  - id: satisfaction
    type: scale
    text: "Êtes-vous satisfait de la place actuelle ?"
    min: 1
    max: 5
    min_label: "Pas du tout"
    max_label: "Tout à fait"
  - id: pourquoi
    type: free_text
    text: "Qu'est-ce qui vous déplaît ?"
    max_length: 200
    optional: true
    show_if: {question: satisfaction, at_most: 2}
  - id: priorites
    type: ranking
    text: "Classez vos priorités"
    options: ["Bancs", "Ombre", "Jeux", "Parking"]
    max_ranked: 2
  - id: age
    type: number
    text: "Quel âge avez-vous ?"
    min: 0
    max: 120
    integer: true
    optional: true
  - id: remarques
    type: free_text
    text: "Autre chose à ajouter ?"
    optional: true
"""


def with_changes(**fields: str) -> str:
    """The same consultation with top-level fields replaced (e.g. another id, an opening date)."""
    lines = SOURCE.splitlines()
    for key, value in fields.items():
        lines = [f"{key}: {value}" if line.startswith(f"{key}:") else line for line in lines]
        if not any(line.startswith(f"{key}:") for line in lines):
            lines.insert(1, f"{key}: {value}")
    return "\n".join(lines) + "\n"
