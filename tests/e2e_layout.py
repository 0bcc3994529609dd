"""Layout checks for the browser tests, from element boxes (``getBoundingClientRect``, ``scrollWidth``):
clipped or overlapping text, images wider than their column, Plotly titles/legends over each other, and
the Compare grid's cells (:func:`grid_layout_problems`). Used by tests/e2e/test_walk_*.py (the studio)
and tests/e2e/test_e2e_demo.py (the Gradio demo); nothing here imports Playwright.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any


# JS: boxes of the Compare grid (images, cell titles, captions) for the layout checks below.
GRID_BOXES_JS = """() => {
  const box = el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const imgs = [...document.querySelectorAll('[data-testid="stMainBlockContainer"] [data-testid="stImage"] img')]
      .filter(i => i.offsetParent !== null).map(box);
  const titles = [...document.querySelectorAll('.cmp-title')].filter(t => t.offsetParent !== null).map(t => {
      const col = t.closest('[data-testid="stColumn"]') || t.parentElement;
      const words = [...t.querySelectorAll('span')].map(s => ({text: s.textContent, rects: s.getClientRects().length,
                                                               box: box(s)}));
      return {text: t.textContent, box: box(t), col: box(col), scroll: t.scrollWidth, client: t.clientWidth, words};
  });
  return {imgs, titles, width: window.innerWidth};
}"""


def overlaps(a: list[float], b: list[float], tol: float = 0.5) -> bool:
    """True when two boxes [left, top, right, bottom] share more than ``tol`` px in both directions."""
    return min(a[2], b[2]) - max(a[0], b[0]) > tol and min(a[3], b[3]) - max(a[1], b[1]) > tol


def grid_layout_problems(boxes: dict) -> list[str]:
    """What is wrong with a Compare grid's layout: overlapping images, clipped or mid-word-broken titles."""
    problems = []
    imgs = boxes["imgs"]
    for i in range(len(imgs)):
        for j in range(i + 1, len(imgs)):
            if overlaps(imgs[i], imgs[j]):
                problems.append(f"images {i} and {j} overlap: {imgs[i]} {imgs[j]}")
    for t in boxes["titles"]:
        if t["scroll"] > t["client"] + 1:
            problems.append(f"title '{t['text']}' is clipped ({t['scroll']} > {t['client']} px)")
        for w in t["words"]:
            if w["rects"] != 1:
                problems.append(f"title '{t['text']}': the word '{w['text']}' breaks over {w['rects']} lines")
            if w["box"][0] < t["col"][0] - 1 or w["box"][2] > t["col"][2] + 1:
                problems.append(f"title '{t['text']}': the word '{w['text']}' leaves its column")
    return problems


# ---------------------------------------------------------------------------------------- layout checks

#: The window sizes every page is checked (and photographed) at.
LAYOUT_SIZES = ({"width": 1280, "height": 800}, {"width": 1920, "height": 1080})

# JS: what is wrong with the layout of the page as drawn now, from element boxes. ``rootSel`` is a CSS
# selector list of the regions to check (Streamlit: main block + sidebar; Gradio: the app). Reports
#  * clipped text: an element that clips (overflow hidden/clip, text-overflow ellipsis, or a text input)
#    whose content is wider than its box (scrollWidth > clientWidth), e.g. a cut label or a cut value;
#  * overlapping text: two different text nodes whose glyph boxes (Range.getClientRects) overlap;
#  * images wider than their column (or leaving it);
#  * Plotly: title, legend, axis titles and annotations overlapping each other, or leaving the chart.
LAYOUT_JS = r"""(rootSel) => {
  const roots = [...document.querySelectorAll(rootSel)];
  // Shown to the user: not hidden by style, not inside a closed expander (<details>), not zero-sized.
  const vis = el => { if (el.checkVisibility && !el.checkVisibility({contentVisibilityAuto: true, opacityProperty: true,
                                                                     visibilityProperty: true})) return false;
                      if (el.closest('details:not([open])') && !el.closest('summary')) return false;
                      for (let e = el; e; e = e.parentElement) { const s = getComputedStyle(e);
                        if (s.display === 'none' || s.visibility === 'hidden' || +s.opacity === 0) return false; }
                      const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const bx = r => [r.left, r.top, r.right, r.bottom].map(v => Math.round(v * 10) / 10);
  const short = t => (t || '').trim().replace(/\s+/g, ' ').slice(0, 60);
  const tid = el => { const t = el.closest('[data-testid]'); return t ? t.getAttribute('data-testid') : el.tagName; };
  const ov = (a, b, tol) => Math.min(a[2], b[2]) - Math.max(a[0], b[0]) > tol && Math.min(a[3], b[3]) - Math.max(a[1], b[1]) > tol;
  // Not text a user reads in place: drawings, code blocks (they scroll), tooltips, and copies kept for
  // measuring or for screen readers (aria-hidden, visually-hidden: Gradio's tab bar keeps one).
  const SKIP = 'svg, canvas, style, script, noscript, [role="tooltip"], [data-testid="stDataFrame"], .js-plotly-plot, pre, code, ' +
               '[data-testid="stCode"], [data-testid="stTooltipContent"], [aria-hidden="true"], .visually-hidden, .sr-only';
  const problems = [];
  for (const root of roots) {
    // 1. clipped text
    for (const el of root.querySelectorAll('*')) {
      if (el.closest(SKIP)) continue;
      const isInput = (el.tagName === 'INPUT' && !['checkbox', 'radio', 'file', 'range', 'hidden'].includes(el.type))
                      || el.tagName === 'TEXTAREA';
      const text = isInput ? (el.value || el.placeholder) : el.textContent;  // a cut placeholder is cut text too
      if (!text || !text.trim()) continue;
      const s = getComputedStyle(el);
      if (!(isInput || ['hidden', 'clip'].includes(s.overflowX) || s.textOverflow === 'ellipsis')) continue;
      if (el.querySelector('img, canvas, svg, [data-testid="stImage"]')) continue;  // an image box, not text
      if (!vis(el)) continue;
      if (el.scrollWidth > el.clientWidth + 1)
        problems.push(`clipped text in ${tid(el)}: '${short(text)}' (${el.scrollWidth} > ${el.clientWidth} px)`);
    }
    // 2. overlapping text (glyph boxes of different text nodes)
    const rects = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    let n = 0;
    while (walker.nextNode()) {
      const node = walker.currentNode, el = node.parentElement;
      // words and numbers only: a decorative glyph (a slider's ◢ handles) is not text that can be misread
      if (!/[\p{L}\p{N}]/u.test(node.textContent) || !el || el.closest(SKIP) || !vis(el)) continue;
      const range = document.createRange(); range.selectNodeContents(node);
      for (const r of range.getClientRects()) if (r.width > 0.5 && r.height > 0.5)
        rects.push({n, text: short(node.textContent), b: bx(r), where: tid(el)});
      n++;
    }
    for (let i = 0; i < rects.length; i++) for (let j = i + 1; j < rects.length; j++) {
      const a = rects[i], b = rects[j];
      if (a.n !== b.n && ov(a.b, b.b, 2))
        problems.push(`overlapping text: '${a.text}' (${a.where}) and '${b.text}' (${b.where}) at ${a.b} / ${b.b}`);
    }
    // 3. images wider than their column
    for (const img of root.querySelectorAll('img')) {
      if (!vis(img)) continue;
      const col = img.closest('[data-testid="stColumn"], [data-testid="stVerticalBlock"], .column, .block, .form') || root;
      const r = img.getBoundingClientRect(), c = col.getBoundingClientRect();
      if (r.right > c.right + 1 || r.left < c.left - 1)
        problems.push(`image wider than its column (${tid(img)}): ${Math.round(r.width)} px in ${Math.round(c.width)} px ` +
                      `(${Math.round(r.left - c.left)} .. ${Math.round(r.right - c.right)})`);
    }
    // 4. Plotly: titles, legend, axis titles, annotations
    for (const gd of root.querySelectorAll('.js-plotly-plot')) {
      if (!vis(gd)) continue;
      const svg = gd.querySelector('.main-svg'); if (!svg) continue;
      const frame = bx(svg.getBoundingClientRect());
      const parts = [];
      for (const [sel, kind] of [['.gtitle', 'title'], ['.legend', 'legend'], ['.g-xtitle text, .xtitle', 'x-axis title'],
                                 ['.g-ytitle text, .ytitle', 'y-axis title'], ['.annotation', 'annotation'],
                                 ['.cbtitle text', 'colorbar title']]) {
        for (const el of gd.querySelectorAll(sel)) {
          const r = el.getBoundingClientRect();
          if (r.width > 0.5 && r.height > 0.5 && (el.textContent || '').trim()) parts.push({kind, text: short(el.textContent), b: bx(r)});
        }
      }
      const chart = short((gd.querySelector('.gtitle') || {}).textContent) || '(untitled chart)';
      for (const p of parts) if (p.b[0] < frame[0] - 1 || p.b[2] > frame[2] + 1 || p.b[1] < frame[1] - 1 || p.b[3] > frame[3] + 1)
        problems.push(`chart '${chart}': ${p.kind} '${p.text}' is cut by the chart's edge (${p.b} in ${frame})`);
      for (let i = 0; i < parts.length; i++) for (let j = i + 1; j < parts.length; j++)
        if (ov(parts[i].b, parts[j].b, 1))
          problems.push(`chart '${chart}': ${parts[i].kind} '${parts[i].text}' overlaps ${parts[j].kind} '${parts[j].text}'`);
    }
  }
  return problems;
}"""

STREAMLIT_ROOTS = '[data-testid="stMainBlockContainer"], [data-testid="stSidebarContent"]'


def layout_problems(page: Any, roots: str = STREAMLIT_ROOTS) -> list[str]:
    """What :data:`LAYOUT_JS` finds wrong with the page as drawn now (an empty list when nothing)."""
    return list(page.evaluate(LAYOUT_JS, roots))


def svg_min_font_px(path: Path) -> tuple[float, float]:
    """(smallest font-size, viewBox width) of an SVG file, in its own units."""
    text = path.read_text(encoding="utf-8")
    sizes = [float(v) for v in re.findall(r'font-size="([\d.]+)"', text)]
    sizes += [float(v) for v in re.findall(r"font-size:\s*([\d.]+)", text)]
    view = re.search(r'viewBox="[\d.\s-]+?\s([\d.]+)\s+[\d.]+"', text)
    return min(sizes), float(view.group(1))
