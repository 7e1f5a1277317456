"""The engine's rich text as Telegram HTML: every piece of user text escaped, and messages cut where Telegram
measures them (parsed text, UTF-16), between blocks, never inside a tag. The fake's own HTML parser (a port
of Telegram's) is the judge of what Telegram would accept."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.telegram.rendering import CAPTION_LIMIT, TEXT_LIMIT, chunk, take, utf16_length
from bot.formatting import PLAIN, Paragraph, b, code, doc, i, link, p, render, ul
from tests.fakes.telegram_api import parse_html


def parsed(text: str) -> str:
    return parse_html(text, strict_ampersand=True)[0]


def test_user_text_is_escaped_and_formatting_becomes_tags():
    body = doc(p(b("Fête <b>&</b>"), " ", i("a<b && c>d")), ul("Oui 👍", "Non <script>"), p(code("<x>")))
    [text] = chunk(body).all
    assert text == (
        "<b>Fête &lt;b&gt;&amp;&lt;/b&gt;</b> <i>a&lt;b &amp;&amp; c&gt;d</i>\n\n"
        "• Oui 👍\n• Non &lt;script&gt;\n\n<code>&lt;x&gt;</code>"
    )
    assert parsed(text) == render(body, PLAIN)


def test_a_link_keeps_its_url_intact_and_quoted():
    [text] = chunk(doc(p(link("l'ordre du jour", 'https://mairie.example/odj?a=1&b="2"')))).all
    assert text == '<a href="https://mairie.example/odj?a=1&amp;b=&quot;2&quot;">l\'ordre du jour</a>'
    assert parsed(text) == "l'ordre du jour"


def test_a_long_text_is_cut_between_blocks_and_each_part_fits():
    body = doc(*(p(b(f"Point {n}"), " " + "mot " * 150) for n in range(20)))  # 20 blocks of ~610 characters
    texts = chunk(body).all
    assert len(texts) == 4
    assert all(utf16_length(parsed(t)) <= TEXT_LIMIT for t in texts)
    assert all(parsed(t).startswith("Point") for t in texts), "every message starts with a whole block"


def test_emoji_count_twice_as_telegram_counts_them():
    body = doc(p("🎉" * 3000))  # 3,000 characters but 6,000 UTF-16 units: too long for one message
    texts = chunk(body).all
    assert len(texts) == 2 and all(utf16_length(parsed(t)) <= TEXT_LIMIT for t in texts)
    assert "".join(parsed(t) for t in texts) == "🎉" * 3000


def test_a_caption_takes_what_fits_in_1024_and_the_rest_follows():
    body = doc(p("Résultats du sondage"), ul(*(f"Option {n} : {n} votes" for n in range(200))))
    chunks = chunk(body, first_limit=CAPTION_LIMIT)
    assert utf16_length(parsed(chunks.head)) <= CAPTION_LIMIT
    assert all(utf16_length(parsed(t)) <= TEXT_LIMIT for t in chunks.rest)
    items = "\n".join(parsed(t) for t in chunks.all).count("• Option")
    assert items == 200, "a list is cut between items, none lost"


def test_a_block_longer_than_a_message_is_cut_inside_its_formatting():
    block = p(b("gras " * 1000), i("italique " * 10))
    head, tail = take(block, TEXT_LIMIT)
    assert isinstance(head, Paragraph)
    first = chunk(doc(head)).head
    assert first.startswith("<b>") and first.endswith("</b>"), "the bold part is closed where it is cut"
    assert utf16_length(parsed(first)) <= TEXT_LIMIT
    rest = chunk(doc(*tail)).head
    assert rest.startswith("<b>") and "<i>italique" in rest


def test_an_empty_body_is_one_empty_text():
    assert chunk(doc()).all == ("",)


inline_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=400)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(inline_text, inline_text), min_size=1, max_size=40))
def test_any_text_renders_to_html_telegram_accepts_and_nothing_is_lost(pieces):
    body = doc(
        *(
            p(b(strong), " ", plain) if n % 2 else ul(strong, plain)
            for n, (strong, plain) in enumerate(pieces)
        )
    )
    texts = chunk(body, first_limit=500, limit=500).all
    shown = [parsed(t) for t in texts]
    assert all(utf16_length(s) <= 500 for s in shown)
    squeeze = "".join("".join(s.split()) for s in shown)
    assert squeeze == "".join(render(body, PLAIN).split()), "every character arrives, in order"
