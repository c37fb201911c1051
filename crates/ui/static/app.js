// Small behaviours of the pages, kept out of the HTML: the
// Content-Security-Policy allows scripts only from this site, never inline.
// A button marked data-print prints the page (the receipt).
document.addEventListener("click", function (event) {
  var target = event.target;
  if (target && target.closest && target.closest("[data-print]")) {
    window.print();
  }
});
