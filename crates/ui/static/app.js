// Small behaviours of the pages, kept out of the HTML: the
// Content-Security-Policy allows scripts only from this site, never inline.
// A button marked data-print prints the page (the receipt).
document.addEventListener("click", function (event) {
  var target = event.target;
  if (target && target.closest && target.closest("[data-print]")) {
    window.print();
  }
  // 长者模式 switches in place, so nothing typed on the page is lost (the
  // link itself still works without JavaScript, through a reload).
  var elder = target && target.closest && target.closest("a[data-elder]");
  if (elder) {
    event.preventDefault();
    var on = !document.body.classList.contains("elder");
    document.body.classList.toggle("elder", on);
    document.cookie = on ? "xf_elder=1; Path=/; Max-Age=31536000; SameSite=Lax" : "xf_elder=0; Path=/; Max-Age=0; SameSite=Lax";
    elder.textContent = on ? "标准模式" : "长者模式";
    elder.setAttribute("href", elder.getAttribute("href").replace(/on=[01]/, on ? "on=0" : "on=1"));
  }
});

// A form that came back with errors: focus the first field in error (the
// summary above lists them all, each linked to its field).
document.addEventListener("DOMContentLoaded", function () {
  var first = document.querySelector("main [aria-invalid=\"true\"]");
  if (!first) return;
  if (first.matches("fieldset, [role=radiogroup]")) {
    first = first.querySelector("input, select, textarea") || first;
  }
  first.focus();
});

// Unit pickers: the search box above a unit select narrows its options by
// name, pinyin initials or code (data-k). Without JavaScript the box stays
// hidden and the grouped select works alone.
document.querySelectorAll("input.unit-search[data-filter]").forEach(function (box) {
  var select = document.getElementById(box.getAttribute("data-filter"));
  var count = document.getElementById(box.getAttribute("data-filter") + "-count");
  if (!select) { return; }
  box.hidden = false;
  box.addEventListener("input", function () {
    var words = box.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    select.querySelectorAll("optgroup").forEach(function (group) {
      var any = false;
      group.querySelectorAll("option").forEach(function (o) {
        var k = (o.getAttribute("data-k") || "").toLowerCase();
        var hit = words.every(function (w) { return k.indexOf(w) >= 0; });
        if (hit) { shown += 1; }
        // A unit already chosen in a several-units picker stays shown and
        // sent while another is looked for.
        if (select.multiple && o.selected) { hit = true; }
        o.hidden = !hit;
        o.disabled = !hit;
        if (hit) { any = true; }
      });
      group.hidden = !any;
    });
    if (count) { count.textContent = words.length ? "找到" + shown + "个单位" : ""; }
  });
});

// Focus the first field in error after a refused form (autofocus is not
// honoured inside a closed <details> or after the page scrolled).
(function () {
  var first = document.querySelector("[aria-invalid=true]");
  if (first) {
    var d = first.closest("details");
    if (d) { d.open = true; }
    first.focus();
  }
})();

// A triage suggestion on the registration form fills its field when
// clicked (the clerk still decides; nothing is sent until 登记).
document.addEventListener("click", function (event) {
  var button = event.target && event.target.closest && event.target.closest("button[data-fill]");
  if (!button) { return; }
  var select = document.getElementById(button.getAttribute("data-fill"));
  if (!select) { return; }
  // A checkbox (涉法涉诉) is ticked; a select takes the value.
  if (select.type === "checkbox") { select.checked = true; } else { select.value = button.getAttribute("data-value"); }
  select.dispatchEvent(new Event("change", { bubbles: true }));
  select.focus();
});

// The registration form's triage panel is drawn again whenever the text,
// the petitioner, the channel or the place changes. A 初件 / 重件 choice
// made while a redraw was on its way would be lost with the old panel:
// the panel remembers the last choice and ticks it again in the new one
// when that petition is still listed.
document.addEventListener("change", function (event) {
  var radio = event.target;
  if (radio && radio.name === "repeat_choice") {
    var panel = radio.closest("#triage-panel");
    if (panel) { panel.setAttribute("data-choice", radio.value); }
  }
});
document.addEventListener("htmx:afterSwap", function (event) {
  var panel = event.target;
  if (!panel || panel.id !== "triage-panel") { return; }
  var choice = panel.getAttribute("data-choice");
  if (choice === null) { return; }
  var radios = panel.querySelectorAll("input[name=repeat_choice]");
  for (var i = 0; i < radios.length; i++) {
    if (radios[i].value === choice) { radios[i].checked = true; }
  }
});

// The hall's waiting screen (body data-refresh="N"): reloaded every N
// seconds, so the numbers follow the calls. A script, not a meta refresh:
// only the kiosk's page refreshes, never a page someone is reading.
document.addEventListener("DOMContentLoaded", function () {
  var every = parseInt(document.body.getAttribute("data-refresh") || "", 10);
  if (every > 0) {
    window.setTimeout(function () { window.location.reload(); }, every * 1000);
  }
});
