/* Give Material's search dialog a name for screen readers (axe: aria-dialog-name). */
(function () {
  for (const dialog of document.querySelectorAll(".md-search[role=dialog]")) {
    dialog.setAttribute("aria-label", "站内搜索");
  }
})();
