"""Tests of the text-layer quality gate: ``factlinks._inspect.readable.assess_text``."""

# ruff: noqa: RUF001  (the tables are real text in many scripts; look-alike letters are the point)

from __future__ import annotations

import random
import unicodedata

import pytest

from factlinks._inspect.readable import (
    JUNK_SHARE,
    MIXED_WORD_SHARE,
    Readability,
    assess_text,
)

READABLE = {
    "german-umlauts": "Künstliche Intelligenz: hohe Wachstumschancen, aber geringe Verbreitung "
    "im Mittelstand. Größere Unternehmen nutzen KI häufiger; Straßenbau-Förderung.",
    "french": "L'intelligence artificielle dans les PME : état des lieux, enjeux et "
    "recommandations pour l'économie française (édition 2023).",
    "greek": "Η τεχνητή νοημοσύνη στις μικρομεσαίες επιχειρήσεις της Ελλάδας: μελέτη 2022.",
    "polytonic-greek": "Ἐν ἀρχῇ ἦν ὁ λόγος, καὶ ὁ λόγος ἦν πρὸς τὸν θεόν.",
    "russian": "Искусственный интеллект в малом и среднем бизнесе России: обзор 2021 года.",
    "russian-homoglyph": "Pоссийская экономика и цифровая трансформация предприятий",
    "japanese": "人工知能の研究開発とAIビジネス戦略について　令和５年度報告書（PDF版）\n"
    "第１章　はじめに　データサイエンスの基礎とTシャツ販売",
    "chinese": "人工智能在中小企业中的应用研究报告（2023年）iPhone手机市场分析",
    "korean": "인공지능 기술의 중소기업 적용 현황과 과제 (2022년 보고서) 韓國語",
    "arabic": "الذكاء الاصطناعي في الشركات الصغيرة والمتوسطة: تقرير عام ٢٠٢٣",
    "arabic-presentation-forms": "\ufe8d\ufedf\ufedf\ufef0 \ufe97\ufed8\ufeae\ufef3\ufeae",
    "hebrew": "בינה מלאכותית בעסקים קטנים ובינוניים: דוח שנתי 2023",
    "hindi": "कृत्रिम बुद्धिमत्ता और लघु उद्योग: एक अध्ययन रिपोर्ट २०२३",
    "thai": "ปัญญาประดิษฐ์ในวิสาหกิจขนาดกลางและขนาดย่อม รายงานประจำปี",
    "vietnamese": "Trí tuệ nhân tạo trong doanh nghiệp vừa và nhỏ ở Việt Nam: báo cáo năm 2023",
    "vietnamese-nfd": unicodedata.normalize(
        "NFD", "Trí tuệ nhân tạo trong doanh nghiệp vừa và nhỏ ở Việt Nam người Việt"
    ),
    "math": "Let x̄ = (1/n) ∑ᵢ xᵢ and σ² = E[(X − μ)²]. For all ε > 0 there is δ > 0 with "
    "|f(x) − f(y)| < ε whenever |x − y| < δ; the cells measured 5 μm, Δx ≤ 0.1, αi → 0.",
    "formula-page": "f(x) = ∫₀^∞ e^{−t} t^{x−1} dt, Γ(n+1) = n·Γ(n), ∀n ∈ ℕ: n! = Γ(n+1)",
    "code": "def main(argv: list[str]) -> int:\n    for (i, x) in enumerate(argv[1:]):\n"
    '        if x == "--": break\n    return {"a": [1, 2], "b": (3, 4)}[key] or 0;',
    "c-code": "for (int i = 0; i < n; i++) { a[i] = b[i] * 2; } /* x->y && z != 0 */",
    "numbers-table": "2019 2020 2021 2022\n12.4 13.1 14.9 15.2\n(3.1) (2.7) (4.0) (−0.2)\n"
    "1.234.567 | 2.345.678 | 3.456.789 | 4.567.890 %",
    "toc-dot-leaders": "Contents\n1 Introduction . . . . . . . . . . . . . . . . . 3\n"
    "2 Method ................................... 7\n3 Results _____________ 12",
    "form-lines": "Name: __________________\nTitle: ___________________\n"
    "Address: ________________\n________________________\n4 of 4",
    "title-page-5-words": "Annual Report 2023 Acme Corp",
    "one-word": "Jahresbericht",
    "url-with-slashes": "See https://example.org/a12/c34/uni2023/g01 and 2022/2023, 1/2 cup.",
    "symbol-font-bullets": "\uf0b7 Erstens die Förderung\n\uf0b7 Zweitens die Beratung\n"
    "\uf0b7 Drittens der Transfer in die Praxis",
    "ligatures": "The ﬁrst ﬂoor of the oﬃce; ﬀ ligatures",
    "fullwidth": "ＡＢＣ株式会社の年次報告書",
    "ipa": "The word is pronounced [ˈfɒnɛtɪks] or /fəˈnɛtɪks/.",
    "empty": "",
    "whitespace": " \n\t \n",
    "soft-hyphen-and-zwj": "Wachs\u00adtums\u00adchancen می\u200cخواهم",
    "few-replacements": "Zus\ufffdtzliches Material f\ufffdr die Pr\ufffdfung der Unterlagen "
    "und weitere Informationen zum Verfahren",
}


def _greek_vietnamese(seed: int, words: int = 30) -> str:
    """Letters drawn from Greek (Extended) and Latin Extended Additional, as a CJK CID font
    without a Unicode map extracts: each glyph id read as a code point in U+1E00-U+1FFF."""
    rng = random.Random(seed)
    pool = [chr(c) for c in range(0x1E00, 0x2000) if unicodedata.category(chr(c))[0] == "L"]
    pool += [chr(c) for c in range(0x0391, 0x03CA) if unicodedata.category(chr(c))[0] == "L"]
    return " ".join("".join(rng.choices(pool, k=rng.randint(2, 7))) for _ in range(words))


def _cid_spray(seed: int, chars: int = 300) -> str:
    """Two-byte Adobe-Japan1 glyph ids (1-8000) read as code points."""
    rng = random.Random(seed)
    return "".join(chr(rng.randint(1, 8000)) if rng.random() > 0.15 else " " for _ in range(chars))


UNREADABLE = {
    "glyph-names-word": ("/g0003/g0003/g0024/g0044/g0051/g0003/g0048/g0055", "glyph names"),
    "glyph-names-spaced": ("/g0003 /g0003 /g0003 /g0017 /g0018", "glyph names"),
    "glyph-names-short-page": ("/g0003/g0004", "glyph names"),
    "glyph-names-mixed-case": ("/G12/G13/G14/glyph44/glyph45 /index7/index8", "glyph names"),
    "uni-names": ("/uni0041/uni0042/uni0043 /uni00E4/uni00DF", "glyph names"),
    "type3-names": ("/a12/a13/a14/a15 /a16/c17/c18", "glyph names"),
    "cid-tokens": ("(cid:12)(cid:13)(cid:14) (cid:4)(cid:5)(cid:6)(cid:7)", "glyph names"),
    "cid-with-a-few-letters": ("(cid:3)(cid:4)(cid:5)(cid:6) a (cid:7)(cid:8)(cid:9)", "names"),
    "private-use-bmp": ("\ue001\ue002\ue003 \ue004\ue005 \uf8ff\uf001", "private-use"),
    "private-use-planes-15-16": ("\U000f0001\U000f0002 \U00100003\U00100004\U000f0005", "private"),
    "replacement": ("\ufffd\ufffd\ufffd \ufffd\ufffd\ufffd\ufffd \ufffd\ufffd ab", "replacement"),
    "controls": ("\x01\x02\x03\x04 \x05\x06\x07\x08 \x0e\x0f\x10 \x11\x12", "raw character"),
    "raw-codes-short-page": ("\x01\x04 \x05\x06", "no Unicode map"),
    "unassigned": ("\u0378\u0379\u0380\u0381 \u0382\u0383 \u038b\u038d", "raw character"),
    "greek-vietnamese-brief": ("ΑβγẮặỗ ΞψỪ ẤξỚ ỳΩ", "scripts"),
    "greek-vietnamese-1": (_greek_vietnamese(1), "scripts"),
    "greek-vietnamese-2": (_greek_vietnamese(2), "scripts"),
    "greek-vietnamese-3": (_greek_vietnamese(3, words=5), "scripts"),
    "cid-spray-1": (_cid_spray(1), ""),
    "cid-spray-2": (_cid_spray(2), ""),
    "cyrillic-armenian-hebrew-mix": ("Жщպէבג Дфնխשׁ ЮԱבЯ ՓжקЪ", "scripts"),
    "latin-random-marks": ("T̈h̆ȇ q̣̈ůí̈c̆k̈ b̆r̃ow̆n f̸̈ȍx̌", "scripts"),
    "marks-without-letters": ("\u0301\u0302 \u0303\u0304 \u0306\u0307 \u0308\u0309", "scripts"),
    "latin-with-devanagari-marks": ("aिbाcे dिeाfे gिhाiे", "scripts"),
    "mostly-symbols": ("§¶†‡ ©®™ ¤¥£ ¢€№ ♠♣♥♦ ⊕⊗⊘ ◊○●◘ ▪▫□■", "symbols"),
    "mostly-punctuation": ("!?;:,'\" (){}[]<>|\\ @#$%^&*~` +-=/ !?;: ,.(]", "symbols"),
}


@pytest.mark.parametrize("text", READABLE.values(), ids=READABLE.keys())
def test_real_text_is_readable(text: str) -> None:
    result = assess_text(text)
    assert result.readable, result
    assert result.reason is None


@pytest.mark.parametrize(("text", "says"), UNREADABLE.values(), ids=UNREADABLE.keys())
def test_garbage_is_unreadable(text: str, says: str) -> None:
    result = assess_text(text)
    assert not result.readable, result
    assert result.reason is not None
    assert says in result.reason


def test_glyph_name_reason_quotes_the_first_token() -> None:
    result = assess_text("Seite /g0003/g0004/g0005/g0006")
    assert result.reason == (
        "its fonts have no Unicode map (it reads as glyph names such as /g0003)"
    )


def test_measures_are_reported() -> None:
    result = assess_text("ab /g0001")
    assert result == Readability(
        chars=len("ab/g0001"),
        junk_share=len("/g0001") / len("ab/g0001"),
        wordlike_share=1.0,
        words=1,
        mixed_share=0.0,
        reason=result.reason,
    )
    assert result.junk_share >= JUNK_SHARE


@pytest.mark.parametrize("readable_words", [6, 20])
def test_a_few_garbage_words_in_real_text_are_tolerated(readable_words: int) -> None:
    """One foreign-script unit or homoglyph word per line does not sink a page."""
    text = " ".join(["Wachstum"] * readable_words + ["ΞψỪ", "ẤξỚ"])
    result = assess_text(text)
    assert result.readable
    assert 0 < result.mixed_share < MIXED_WORD_SHARE


def test_a_few_junk_characters_in_real_text_are_tolerated() -> None:
    text = "Die Förderung des Mittelstands \ufffd\ufffd (cid:3) \ue000 im Jahr 2023"
    result = assess_text(text)
    assert result.readable
    assert 0 < result.junk_share < JUNK_SHARE


def test_junk_at_the_threshold_is_unreadable() -> None:
    assert not assess_text("abcd \ufffd\ufffd\ufffd\ufffd").readable  # exactly half
    assert assess_text("abcde \ufffd\ufffd\ufffd\ufffd").readable
