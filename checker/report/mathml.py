r"""Formulas as MathML, offline: the report and the docs show math as math, never as ASCII art
or raw TeX.

Browsers render MathML Core natively (Chromium since version 109, Firefox, Safari), so a page
needs no script, no font download and no network access to show a formula.

* :func:`sympy_to_mathml` — a sympy expression or relation through sympy's presentation MathML
  printer (used by the report and by the generated theorem pages);
* :func:`latex_to_mathml` — a LaTeX string through the ``latex2mathml`` package (the ``docs``
  extra), used at build time by the mkdocs hook ``docs/hooks/mathml.py``;
* :func:`convert_arithmatex` — replace the ``arithmatex`` spans/divs that Python-Markdown
  produces (``pymdownx.arithmatex`` in generic mode) by MathML.

sympy's printer names ``log`` the natural logarithm, as sympy does; the report says so once.
"""

from __future__ import annotations

import html
import re

__all__ = ["MATHML_NS", "MathRenderError", "sympy_to_mathml", "latex_to_mathml", "convert_arithmatex",
           "convert_rst_math", "tex_to_text", "has_raw_tex"]

MATHML_NS = "http://www.w3.org/1998/Math/MathML"


class MathRenderError(ValueError):
    """A formula could not be converted to MathML (the message names the formula)."""


def _wrap(body: str, display: bool, alt: str = "") -> str:
    disp = "block" if display else "inline"
    alttext = f' alttext="{html.escape(alt, quote=True)}"' if alt else ""
    return f'<math xmlns="{MATHML_NS}" display="{disp}"{alttext}>{body}</math>'


#: How the bound library's symbol names are shown (sympy already shows Greek names such as
#: ``Delta``, ``gamma`` or ``L_phi`` as Greek letters).
DISPLAY_NAMES = {
    "eps": "ε", "eps_n": "ε_n", "L_thth": "L_θθ", "L_thz": "L_θz", "L_zth": "L_zθ",
    "d_tilde": "d̃", "phi_gamma": "φ_γ", "rho_hat": "ρ̂", "f_hat": "f̂", "theta_sq": "‖θ‖²", "nu_A": "ν(A)",
    "fail_prob": "δ_fail", "grad_sq": "‖∇F‖²", "grad_norm": "‖∇f‖", "op_norm": "‖θ‖",
    "P_no_collision": "P_no coll",
}

#: Symbols shown as a small MathML fragment rather than a name.
DISPLAY_MATHML = {
    "E_Pn_star_loss": "<mrow><msub><mi>𝔼</mi><msubsup><mi>P</mi><mi>n</mi><mo>∗</mo></msubsup></msub><mi>ℓ</mi></mrow>",
    "sup_P_E_loss": "<mrow><munder><mo movablelimits='false'>sup</mo><mi>P</mi></munder><msub><mi>𝔼</mi><mi>P</mi></msub>"
                    "<mi>ℓ</mi></mrow>",
}


def _display_symbols(expr) -> tuple[object, dict[str, str]]:
    """``expr`` with symbols renamed for display, and placeholder -> MathML fragments to
    substitute after printing."""
    import sympy as sp

    rep, frags = {}, {}
    for sym in sorted(expr.free_symbols, key=str):
        name = getattr(sym, "name", None)
        if name in DISPLAY_MATHML:
            ph = f"QQPH{len(frags)}QQ"
            frags[f"<mi>{ph}</mi>"] = DISPLAY_MATHML[name]
            rep[sym] = sp.Symbol(ph, **sym.assumptions0)
        elif name in DISPLAY_NAMES:
            rep[sym] = sp.Symbol(DISPLAY_NAMES[name], **sym.assumptions0)
    return (expr.xreplace(rep) if rep else expr), frags


_PRINTER = None


def _printer():
    """sympy's presentation-MathML printer, plus the two objects the bound library uses that it
    prints as plain function calls: ``Product`` (as ∏ with limits) and ``Piecewise`` (as a
    brace with cases)."""
    global _PRINTER
    if _PRINTER is None:
        from sympy.printing.mathml import MathMLPresentationPrinter
        from sympy.printing.precedence import precedence_traditional

        class _Printer(MathMLPresentationPrinter):
            def _el(self, tag, *children, text=None, **attrs):
                el = self.dom.createElement(tag)
                for k, v in attrs.items():
                    el.setAttribute(k, v)
                if text is not None:
                    el.appendChild(self.dom.createTextNode(text))
                for c in children:
                    el.appendChild(c)
                return el

            def _print_Product(self, e):
                (var, low, up), *rest = e.limits
                if rest:  # several limits: nest
                    import sympy as sp

                    return self._print(sp.Product(sp.Product(e.function, *rest), (var, low, up)))
                under = self._el("mrow", self._print(var), self._el("mo", text="="), self._print(low))
                op = self._el("munderover", self._el("mo", text="\u220f"), under, self._print(up))
                return self._el("mrow", op, self.parenthesize(e.function, precedence_traditional(e)))

            def _print_Piecewise(self, e):
                rows = []
                for expr, cond in e.args:
                    cond_el = self._el("mtext", text="otherwise") if cond is True or str(cond) == "True" \
                        else self._el("mrow", self._el("mtext", text="if\u2002"), self._print(cond))
                    rows.append(self._el("mtr", self._el("mtd", self._print(expr), columnalign="left"),
                                         self._el("mtd", cond_el, columnalign="left")))
                table = self._el("mtable", *rows)
                return self._el("mrow", self._el("mo", text="{", stretchy="true"), table)

        _PRINTER = _Printer({"ln_notation": True})
    return _PRINTER


def sympy_to_mathml(expr, *, display: bool = True, lhs: str | None = None) -> str:
    """``expr`` (a sympy expression or relation) as a ``<math>`` element.

    ``lhs``: an optional name shown as ``lhs = expr`` (the name is set as an identifier, with
    ``_`` read as a subscript, e.g. ``m_star`` gives m with subscript star).
    """
    import sympy as sp

    expr = sp.sympify(expr)
    try:
        shown, frags = _display_symbols(expr)
        body = _printer().doprint(shown)
        for ph, frag in frags.items():
            body = body.replace(ph, frag)
    except Exception as exc:  # sympy raises several types for unsupported objects
        raise MathRenderError(f"cannot print {expr!r} as MathML: {exc}") from exc
    if lhs:
        body = f"<mrow>{_name(lhs)}<mo>=</mo>{body}</mrow>"
    return _wrap(body, display, alt=f"{lhs + ' = ' if lhs else ''}{sp.sstr(expr)}")


def _name(name: str) -> str:
    """A left-hand-side name: a symbol-like name (one letter or a Greek letter, optional
    subscript: ``m_star``, ``delta``, ``N_cover``) as math; a descriptive name
    (``failure_probability``) as words."""
    import sympy as sp
    from sympy.printing.mathml import mathml

    name = DISPLAY_NAMES.get(name, name)
    base, _, sub = name.partition("_")
    greek = sp.Symbol(base).name in _GREEK
    if len(base) == 1 or greek:
        head = mathml(sp.Symbol(base), printer="presentation")
        if not sub:
            return head
        from checker.report.textmath import GREEK

        if sub == "star":
            tail = "<mo>⋆</mo>"
        elif sub in _GREEK:  # L_phi: L with subscript φ, never the letters p-h-i
            tail = f"<mi>{GREEK.get(sub, sub)}</mi>"
        else:
            tail = f"<mtext>{html.escape(' '.join(GREEK.get(w, w) for w in sub.split('_')))}</mtext>"
        return f"<msub>{head}{tail}</msub>"
    from checker.report.textmath import GREEK

    words = " ".join(GREEK.get(w, w) for w in name.split("_"))  # bound_rho_squared: "bound ρ squared"
    return f"<mtext>{html.escape(words)}</mtext>"


_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu",
          "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega", "Gamma",
          "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega"}


def latex_to_mathml(tex: str, *, display: bool = False) -> str:
    """A LaTeX formula as a ``<math>`` element (needs ``latex2mathml``; the ``docs`` extra)."""
    try:
        from latex2mathml.converter import convert
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MathRenderError("latex2mathml is not installed (pip install -e '.[docs]'); "
                              "it converts the docs' LaTeX to MathML at build time") from exc
    try:
        out = convert(_normalise(tex), display="block" if display else "inline")
    except Exception as exc:
        raise MathRenderError(f"cannot convert LaTeX to MathML: {tex[:120]!r}: {exc}") from exc
    if "\\" in html.unescape(_TAG.sub("", out)):  # an unknown command would show as raw TeX
        raise MathRenderError(f"LaTeX command not supported by the MathML converter in {tex[:120]!r}")
    out = _VARIANT.sub(_variant_chars, out)
    if "alttext" not in out:
        out = out.replace("<math ", f'<math alttext="{html.escape(tex, quote=True)}" ', 1)
    return out


#: Rewrites for LaTeX that latex2mathml does not know, into equivalents it does.
_REWRITES = (
    (re.compile(r"\\tfrac"), r"\\frac"),
    (re.compile(r"\\dfrac"), r"\\frac"),
    (re.compile(r"\\operatorname\*\{([^}]*)\}"), r"\\operatorname{\1}"),
    (re.compile(r"\\nmid"), r"\\not\\mid"),
    (re.compile(r"\\lVert|\\rVert"), r"\\|"),
    (re.compile(r"\\tag\{([^}]*)\}"), r"\\qquad(\1)"),
    (re.compile(r"\\\\\[\d+pt\]"), r"\\\\"),
)


#: Delimiters after a size command (``\Big\lceil``), which latex2mathml would print as their
#: command names: replaced by the characters themselves.
_SIZED = re.compile(r"(\\(?:big|Big|bigg|Bigg)[lrm]?)\s*\\(lceil|rceil|lfloor|rfloor|\{|\}|langle|rangle|\||Vert|vert|lVert|rVert)")
_DELIMS = {"lceil": "\u2308", "rceil": "\u2309", "lfloor": "\u230a", "rfloor": "\u230b", "{": "{", "}": "}",
           "langle": "\u27e8", "rangle": "\u27e9", "|": "\u2016", "Vert": "\u2016", "lVert": "\u2016",
           "rVert": "\u2016", "vert": "|"}


def _normalise(tex: str) -> str:
    tex = _SIZED.sub(lambda m: f"{m.group(1)}{_DELIMS[m.group(2)]}", tex)
    for pat, rep in _REWRITES:
        tex = pat.sub(rep, tex)
    return tex.strip()


_TAG = re.compile(r"<[^>]+>")


#: MathML Core (what browsers implement) ignores ``mathvariant`` other than ``normal``: letters
#: styled by \mathbb, \mathcal, \mathbf, \mathfrak become the Unicode mathematical
#: alphanumeric characters instead (ℝ, 𝒵, 𝟏 ...).
_VARIANT = re.compile(r'<(mi|mn|mo) mathvariant="(double-struck|script|bold|fraktur|bold-italic)">([^<]*)</\1>')
_VARIANT_BASE = {"bold": (0x1D400, 0x1D41A, 0x1D7CE), "bold-italic": (0x1D468, 0x1D482, None),
                 "script": (0x1D49C, 0x1D4B6, None), "fraktur": (0x1D504, 0x1D51E, None),
                 "double-struck": (0x1D538, 0x1D552, 0x1D7D8)}
#: Letters that live in the Letterlike Symbols block instead (holes in the ranges above).
_VARIANT_HOLES = {("double-struck", "C"): "ℂ", ("double-struck", "H"): "ℍ", ("double-struck", "N"): "ℕ",
                  ("double-struck", "P"): "ℙ", ("double-struck", "Q"): "ℚ", ("double-struck", "R"): "ℝ",
                  ("double-struck", "Z"): "ℤ", ("script", "B"): "ℬ", ("script", "E"): "ℰ", ("script", "F"): "ℱ",
                  ("script", "H"): "ℋ", ("script", "I"): "ℐ", ("script", "L"): "ℒ", ("script", "M"): "ℳ",
                  ("script", "R"): "ℛ", ("script", "e"): "ℯ", ("script", "g"): "ℊ", ("script", "o"): "ℴ",
                  ("fraktur", "C"): "ℭ", ("fraktur", "H"): "ℌ", ("fraktur", "I"): "ℑ", ("fraktur", "R"): "ℜ",
                  ("fraktur", "Z"): "ℨ"}


def _variant_chars(m: re.Match) -> str:
    tag, variant, text = m.groups()
    upper, lower, digit = _VARIANT_BASE[variant]
    out = []
    for ch in text:
        if (variant, ch) in _VARIANT_HOLES:
            out.append(_VARIANT_HOLES[(variant, ch)])
        elif "A" <= ch <= "Z":
            out.append(chr(upper + ord(ch) - ord("A")))
        elif "a" <= ch <= "z":
            out.append(chr(lower + ord(ch) - ord("a")))
        elif "0" <= ch <= "9" and digit:
            out.append(chr(digit + ord(ch) - ord("0")))
        else:
            out.append(ch)
    return f"<{tag}>{''.join(out)}</{tag}>"


_ARITH = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">(?P<body>.*?)</(?P=tag)>', re.S)


def convert_arithmatex(page_html: str) -> str:
    """Replace every ``<span|div class="arithmatex">`` of a rendered page by MathML.

    In generic mode arithmatex writes inline math as ``\\(...\\)`` and display math as
    ``\\[...\\]`` (HTML-escaped). Raises :class:`MathRenderError` naming the formula when one does
    not convert, so a docs build fails instead of showing raw TeX.
    """
    def repl(m: re.Match) -> str:
        body = html.unescape(m.group("body")).strip()
        display = m.group("tag") == "div"
        for open_, close in (("\\(", "\\)"), ("\\[", "\\]"), ("$$", "$$"), ("$", "$")):
            if body.startswith(open_) and body.endswith(close):
                body = body[len(open_):len(body) - len(close)]
                break
        out = latex_to_mathml(body, display=display)
        return f'<div class="math-display">{out}</div>' if display else out

    return _ARITH.sub(repl, page_html)


_RST_INLINE = re.compile(r":math:<code>(.*?)</code>", re.S)
_RST_BLOCK = re.compile(r"<p>\.\. math::</p>\s*<pre><code>(.*?)</code></pre>", re.S)
_RST_ROLE = re.compile(r":(?:func|class|mod|meth|attr|data|obj|exc|ref):(<code>)")


def convert_rst_math(page_html: str, *, on_error=None) -> str:
    """Docstrings written for Sphinx (``:math:`...` `` roles, ``.. math::`` blocks) as rendered
    by mkdocstrings: the formulas become MathML, and the other roles (``:func:`` ...) lose their
    prefix. A formula that does not convert is left as code and reported to ``on_error``
    (a callable taking the message)."""
    def conv(tex, display):
        try:
            out = latex_to_mathml(html.unescape(tex).strip(), display=display)
        except MathRenderError as exc:
            if on_error:
                on_error(str(exc))
            return None
        return f'<div class="math-display">{out}</div>' if display else out

    def block(m):
        out = conv(m.group(1), True)
        return out if out is not None else m.group(0)

    def inline(m):
        out = conv(m.group(1), False)
        return out if out is not None else f"<code>{m.group(1)}</code>"

    page_html = _RST_BLOCK.sub(block, page_html)
    page_html = _RST_INLINE.sub(inline, page_html)
    return _RST_ROLE.sub(r"\1", page_html)


def tex_to_text(text: str) -> str:
    """A title with inline TeX (``\\(\\rho\\)`` or ``$\\rho$``) as plain Unicode text (for tables of
    contents, which hold text, not markup); text that does not convert is returned unchanged."""
    import xml.etree.ElementTree as ET

    def repl(m):
        try:
            out = latex_to_mathml(m.group(1) or m.group(2))
            for k, v in (("&InvisibleTimes;", ""), ("&ApplyFunction;", "")):
                out = out.replace(k, v)
            return "".join(ET.fromstring(out).itertext())
        except Exception:  # a title is shown as written rather than failing the build
            return m.group(0)

    return re.sub(r"\\\((.+?)\\\)|\$([^$]+)\$", repl, text)


_RAW_TEX = re.compile(r"\\(frac|sqrt|sum|mathbb|left|right|begin|alpha|beta|gamma|varepsilon)\b|\$\$|\\\(|\\\[")


def has_raw_tex(text: str) -> bool:
    """True when ``text`` (visible text, not markup) still contains LaTeX source."""
    return bool(_RAW_TEX.search(text))
