// MathJax settings for pymdownx.arithmatex (generic mode): \( \) inline, \[ \] display.
// MathJax itself is served with the site (assets/mathjax/, copied by docs/hooks.py): no network.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
    // An undefined macro is an error box (mjx-merror), not red text: the docs test looks for those.
    packages: { "[-]": ["noundefined"] },
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex",
  },
};

// Material's instant navigation swaps pages without reloading: typeset each new page.
document$.subscribe(() => {
  if (window.MathJax.typesetPromise) {
    MathJax.typesetPromise();
  }
});
