r"""Formulas written in plain text (check names, summaries, caveats, outline titles) shown as math.

Check summaries and proof-outline titles are written as text with ASCII formulas
(``||z - x|| <= G/gamma``, ``Delta^2/m``, ``x~_i``, ``L_phi``). The report never shows those as
typed: :func:`text_to_html` escapes the prose and turns every formula token into inline MathML
(``<math>`` elements), :func:`text_to_unicode` into plain Unicode for places that hold text only
(SVG tooltips), and :func:`ascii_math` finds what is left (the report tests run it on the
visible text of the rendered page).

Tokens converted (prose is left alone):

==========================  =======================================================
written                     shown
==========================  =======================================================
``<=  >=  !=  ->  ~=``      ≤ ≥ ≠ → ≈
``||`` (a norm bar)         ‖
``a*b`` (between operands)  a⋅b
Greek names as words        ``gamma`` γ, ``Delta`` Δ, ``eps`` ε, ``lam`` λ, ...
``X_sub``, ``X_{...}``      subscripts (``L_phi`` :math:`L_\varphi`, ``L_thz`` :math:`L_{\theta z}`)
``X^sup``, ``)^2``, ``|^2``  superscripts
``x~``, ``z^``, ``rho_hat``  accents (x̃, ẑ, ρ̂)
``sqrt``, ``grad``          √, ∇; ``sum_{..}^{..}`` and ``prod_{..}^{..}`` as ∑, ∏
==========================  =======================================================

A subscript is short (at most 4 characters, a Greek name, ``hat`` or ``{...}``) and its base at
most 3 letters or a Greek name, so programmatic names such as ``generator_param_count`` stay text.
"""

from __future__ import annotations

import html
import re

from checker.report.mathml import MATHML_NS

__all__ = ["GREEK", "text_to_html", "html_text_to_math", "text_to_unicode", "ascii_math"]

GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "Gamma": "Γ", "delta": "δ", "Delta": "Δ", "eps": "ε",
    "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ", "eta": "η", "theta": "θ", "Theta": "Θ",
    "iota": "ι", "kappa": "κ", "lambda": "λ", "lam": "λ", "Lambda": "Λ", "mu": "μ", "nu": "ν",
    "pi": "π", "rho": "ρ", "sigma": "σ", "Sigma": "Σ", "tau": "τ", "phi": "φ",
    "Phi": "Φ", "psi": "ψ", "Psi": "Ψ", "omega": "ω", "Omega": "Ω",
}
_OPS = {"<=": "≤", ">=": "≥", "!=": "≠", "->": "→", "~=": "≈", "||": "‖", "*": "⋅"}
_BIG = {"sum": "∑", "prod": "∏"}
_WORD_OPS = {"sqrt": "√", "grad": "∇"}
_TILDE, _HAT = "˜", "ˆ"  # spacing accents: shown above the base, never an ASCII ~ or ^

_G = "|".join(sorted(GREEK, key=len, reverse=True))
_GROUP = r"\{[^{}]*\}"
_SUB = rf"(?:{_GROUP}|(?:{_G})(?![A-Za-z0-9])|hat(?![A-Za-z0-9])|[A-Za-z0-9]{{1,4}}(?![A-Za-z0-9]))"
_SUP = rf"(?:{_GROUP}|-?[A-Za-z0-9.]+)"
#: one atom: a base (a short word, a Greek name or a number) with an optional tilde, subscript,
#: tilde, superscript or hat, at least one of them present unless the base is a Greek name
_ATOM = re.compile(
    rf"(?P<base>(?<![A-Za-z_.])(?:{_G}|sqrt|grad|sum|prod|ln|log|exp|sup|inf|[A-Za-z]{{1,3}})"
    rf"|(?<![A-Za-z0-9_.])\d+(?:\.\d+)?)"
    rf"(?P<t1>~)?(?:_(?P<sub>{_SUB}))?(?:_(?P<sub2>{_SUB}))?(?P<t2>~)?(?:\^(?P<sup>{_SUP})|(?P<hat>\^)(?![A-Za-z0-9{{(-]))?"
    rf"(?![A-Za-z0-9_])(?!\.[A-Za-z]{{2}})")  # not part of a dotted node id (arora.hyp.nu)
_CLOSE_SUP = re.compile(rf"(?P<cbase>[)|\]])\^(?P<csup>{_SUP})")
#: a starred name (m*, z*): the star as a superscript
_STAR = re.compile(r"(?<![A-Za-z0-9_.])(?P<sbase>[A-Za-z])\*(?![\w(*])")
_OP = re.compile(r"<=|>=|!=|->|~=|\|\||(?<=[\w)|])\*(?=[\w(|])")
_TOKEN = re.compile(rf"{_CLOSE_SUP.pattern}|{_STAR.pattern}|{_OP.pattern}|{_ATOM.pattern}")

#: What :func:`ascii_math` flags in visible text: ASCII relations and norm bars, ``^`` and ``~``
#: after an operand, ``*`` between operands, short subscripted names, and Greek names as words.
_ASCII = re.compile(
    rf"<=|>=|!=|\|\||[A-Za-z0-9)|\]}}]\^|[A-Za-z]~|(?<=[\w)])\*(?=[\w(])|\bsqrt\b"
    rf"|(?<![A-Za-z0-9_.])(?:{_G}|[A-Za-z]{{1,3}}|sum|prod)_(?:{_G}|hat|\{{|[A-Za-z0-9]{{1,4}}(?![A-Za-z0-9_.]))"
    rf"|(?<![A-Za-z0-9_.-])(?:{_G})(?![A-Za-z0-9_.-])")


def ascii_math(text: str) -> list[str]:
    """Every ASCII-formula fragment still in ``text`` (visible text of a rendered page)."""
    return [m.group(0) for m in _ASCII.finditer(text)]


# -- fragments ------------------------------------------------------------------------------------

_FRAG_TOKEN = re.compile(r"<=|>=|!=|->|~=|\|\||\d+(?:\.\d+)?|[A-Za-z]+|\S")


def _mi(word: str) -> str:
    if word in GREEK:
        return f"<mi>{GREEK[word]}</mi>"
    if word in _WORD_OPS:
        return f"<mo>{_WORD_OPS[word]}</mo>"
    if word in _BIG:
        return f"<mo>{_BIG[word]}</mo>"
    if word.isdigit() or re.fullmatch(r"\d+\.\d+", word):
        return f"<mn>{word}</mn>"
    variant = "" if len(word) == 1 else ' mathvariant="normal"'
    return f"<mi{variant}>{html.escape(word)}</mi>"


def _fragment(text: str) -> str:
    """MathML (no ``<math>`` wrapper) of a short formula such as a subscript's ``{i=1}``."""
    text = text.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    out = []
    pos = 0
    for m in _TOKEN.finditer(text):  # nested atoms first (x~_i inside a group)
        out += _plain_fragment(text[pos:m.start()])
        out.append(_token_fragment(m))
        pos = m.end()
    out += _plain_fragment(text[pos:])
    body = "".join(out)
    return body if len(out) == 1 else f"<mrow>{body}</mrow>"


def _plain_fragment(text: str) -> list[str]:
    out = []
    for t in _FRAG_TOKEN.findall(text):
        if t in _OPS:
            out.append(f"<mo>{_OPS[t]}</mo>")
        elif t == "~":  # "K~Bin(M, p)": distributed as
            out.append("<mo>∼</mo>")
        elif re.fullmatch(r"\d+(?:\.\d+)?|[A-Za-z]+", t):
            out.append(_mi(t))
        else:
            out.append(f"<mo>{html.escape('−' if t == '-' else t)}</mo>")
    return out


def _sub_fragment(sub: str, base: str) -> str:
    if sub == "hat":
        return ""
    if base.startswith("L") and re.fullmatch(r"(?:th|z)+", sub):  # L_thz: smoothness constants
        return "<mi>" + sub.replace("th", "θ") + "</mi>"
    return _fragment(sub)


def _token_fragment(m: re.Match) -> str:
    g = m.groupdict()
    tok = m.group(0)
    if tok in _OPS or (tok == "*"):
        return f"<mo>{_OPS[tok]}</mo>"
    if g.get("sbase"):  # "m*"
        return f"<msup>{_mi(g['sbase'])}<mo>∗</mo></msup>"
    if g.get("cbase"):  # ")^2", "|^2"
        return f"<msup><mo>{g['cbase']}</mo>{_fragment(g['csup'])}</msup>"
    base = g.get("base")
    if base is None:  # pragma: no cover - every alternative names its base
        return f"<mo>{html.escape(tok)}</mo>"
    frag = _mi(base)
    if g.get("t1"):
        frag = f'<mover accent="true">{frag}<mo>{_TILDE}</mo></mover>'
    sub, sup = g.get("sub"), g.get("sup")
    if sub == "hat" or g.get("hat"):
        frag = f'<mover accent="true">{frag}<mo>{_HAT}</mo></mover>'
    if g.get("t2"):
        frag = f'<mover accent="true">{frag}<mo>{_TILDE}</mo></mover>'
    if sub == "hat" and g.get("sub2"):  # rho_hat_n
        sub = g["sub2"]
    sub_f = _sub_fragment(sub, base) if sub else ""
    if sub_f and sup:
        return f"<msubsup>{frag}{sub_f}{_fragment(sup)}</msubsup>"
    if sub_f:
        return f"<msub>{frag}{sub_f}</msub>"
    if sup:
        return f"<msup>{frag}{_fragment(sup)}</msup>"
    return frag


def _is_math(m: re.Match) -> bool:
    """An atom is math when it has a subscript, superscript or accent, or is a Greek name or an
    operator word (``sqrt``); a plain short word (``at``, ``x``) stays prose."""
    g = m.groupdict()
    if g.get("base") is None:  # an operator or a closing bracket's superscript
        return True
    if any(g.get(k) for k in ("t1", "t2", "sub", "sub2", "sup", "hat")):
        return True
    return g["base"] in GREEK or g["base"] in _WORD_OPS


_TAG = re.compile(r"(<[^>]+>)")


def html_text_to_math(fragment: str) -> str:
    """An already escaped HTML fragment with :func:`text_to_html` applied to its text outside
    ``<code>``, ``<math>``, ``<script>`` and ``<style>`` elements (tags are kept as they are)."""
    out, skip = [], 0
    for part in _TAG.split(fragment):
        if part.startswith("<") and part.endswith(">"):
            name = re.match(r"</?\s*([A-Za-z]+)", part)
            tag = name.group(1).lower() if name else ""
            if tag in ("code", "math", "script", "style", "pre"):
                if part.startswith("</"):
                    skip = max(0, skip - 1)
                elif not part.endswith("/>"):
                    skip += 1
            out.append(part)
        elif skip or not part:
            out.append(part)
        else:
            out.append(text_to_html(html.unescape(part)))
    return "".join(out)


def text_to_html(text: object) -> str:
    """``text`` escaped for HTML, with each ASCII formula token as an inline ``<math>`` element."""
    s = str(text)
    out, pos = [], 0
    for m in _TOKEN.finditer(s):
        if not _is_math(m):
            continue
        out.append(html.escape(s[pos:m.start()]))
        out.append(f'<math xmlns="{MATHML_NS}" display="inline">{_token_fragment(m)}</math>')
        pos = m.end()
    out.append(html.escape(s[pos:]))
    return "".join(out)


_SUP_FROM = "0123456789-−+()=abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVW∗"
_SUP_TO = "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁻⁺⁽⁾⁼ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂ∗"
_SUPERSCRIPTS = str.maketrans(_SUP_FROM, _SUP_TO)
_SUBSCRIPTS = str.maketrans("0123456789-+()", "₀₁₂₃₄₅₆₇₈₉₋₊₍₎")


def text_to_unicode(text: object) -> str:
    """``text`` with the same tokens as plain Unicode (for places that hold text only)."""
    import xml.etree.ElementTree as ET

    def flat(m: re.Match) -> str:
        if not _is_math(m):
            return m.group(0)
        frag = _token_fragment(m)
        root = ET.fromstring(f"<r>{frag}</r>")
        parts = []
        for el in root.iter():
            if el.tag in ("msup", "msubsup"):
                kids = list(el)
                sup = "".join(kids[-1].itertext())
                kids[-1].clear()
                kids[-1].text = (sup.translate(_SUPERSCRIPTS) if all(c in _SUP_FROM for c in sup)
                                 else "↑(" + sup + ")")
        for el in root.iter():
            if el.tag in ("msub", "msubsup"):
                kids = list(el)
                sub = "".join(kids[1].itertext())
                kids[1].clear()
                kids[1].text = sub.translate(_SUBSCRIPTS) if all(c in "0123456789-+()" for c in sub) else sub
        for el in root.iter("mover"):
            base = "".join(list(el)[0].itertext())
            accent = "\u0303" if "".join(list(el)[1].itertext()) == _TILDE else "\u0302"
            el.clear()
            el.text = base + accent
        parts.append("".join(root.itertext()))
        return "".join(parts)

    return _TOKEN.sub(flat, str(text))
