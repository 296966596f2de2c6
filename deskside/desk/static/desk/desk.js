// The desk's small behaviours. No inline script anywhere (CSP): everything is delegated from
// the document, so it keeps working after htmx swaps parts of the page.
(function () {
  "use strict";

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  // -- queue keys: j/k move the selection, Enter opens it, / focuses the search -------------
  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("table[data-queue] tr[data-href]"));
  }

  function markSelected(index) {
    var all = rows();
    all.forEach(function (row, i) {
      row.classList.toggle("selected", i === index);
      row.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    return all[index];
  }

  function select(index) {
    var all = rows();
    if (!all.length) return;
    markSelected(Math.max(0, Math.min(all.length - 1, index))).scrollIntoView({ block: "nearest" });
  }

  function selectedIndex() {
    return rows().findIndex(function (row) { return row.classList.contains("selected"); });
  }

  // -- j/k on a ticket page: the next/previous ticket of the list the agent came from. A queue or
  // search page remembers its order for this tab (sessionStorage); a ticket not in it has no j/k.
  var ORDER_KEY = "deskside:queue-order";

  function rememberOrder() {
    if (!document.querySelector("table[data-queue]")) return;
    var order = rows().map(function (row) { return row.getAttribute("data-href"); });
    try { window.sessionStorage.setItem(ORDER_KEY, JSON.stringify(order)); } catch (e) { /* storage off */ }
  }

  function storedOrder() {
    try { return JSON.parse(window.sessionStorage.getItem(ORDER_KEY) || "[]"); } catch (e) { return []; }
  }

  function neighbour(step) {
    var order = storedOrder();
    var here = order.indexOf(window.location.pathname);
    return here < 0 ? null : order[here + step] || null;
  }

  function showTicketOrderKeys() {
    var entry = document.querySelector("[data-ticket-order]");
    if (entry) entry.hidden = storedOrder().indexOf(window.location.pathname) < 0;
  }

  rememberOrder();
  showTicketOrderKeys();
  document.addEventListener("deskside:queue-refreshed", rememberOrder);
  document.addEventListener("htmx:afterSettle", showTicketOrderKeys);

  // -- ? shows the page's shortcuts (the <dialog id="keys-help"> of desk/base.html); a shortcut
  // listed there with data-focus moves the focus to that field, opening its <details> if closed.
  function help() { return document.getElementById("keys-help"); }

  function focusFor(key) {
    var dialog = help();
    if (!dialog) return false;
    var entry = Array.prototype.slice.call(dialog.querySelectorAll("[data-key][data-focus]"))
      .find(function (item) { return item.getAttribute("data-key") === key; });
    var field = entry && document.getElementById(entry.getAttribute("data-focus"));
    if (!field) return false;
    var details = field.closest("details");
    if (details) details.open = true;
    field.focus();
    if (field.select && field.tagName === "INPUT") field.select();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var dialog = help();
    if (dialog && dialog.open) return;  // Escape closes it (the browser does)
    if (event.key === "?") {
      if (dialog) { event.preventDefault(); dialog.showModal(); }
      return;
    }
    if (focusFor(event.key)) { event.preventDefault(); return; }
    if (!rows().length) {
      var next = event.key === "j" ? neighbour(1) : event.key === "k" ? neighbour(-1) : null;
      if (next) { event.preventDefault(); window.location.assign(next); }
      return;
    }
    var current = selectedIndex();
    if (event.key === "j") { select(current + 1); event.preventDefault(); }
    else if (event.key === "k") { select(current < 0 ? 0 : current - 1); event.preventDefault(); }
    else if (event.key === "x" && current >= 0) {
      var box = rows()[current].querySelector('input[form="bulk"][name="ticket"]');
      if (box) { box.checked = !box.checked; showPicked(); event.preventDefault(); }
    }
    else if (event.key === "Enter" && current >= 0) {
      event.preventDefault();
      window.location.assign(rows()[current].getAttribute("data-href"));
    }
  });

  // -- the queue refreshes itself every 30 s while it is shown: the parts marked data-live are
  // replaced by the server's fresh ones; the selected row (by its ticket) and anything typed in
  // the search or the filters stay as they are.
  var REFRESH_MS = 30000;

  function refreshQueue() {
    if (document.visibilityState !== "visible") return;
    var picked = pickedIds();
    var current = rows()[selectedIndex()];
    var selectedHref = current ? current.getAttribute("data-href") : null;
    window.fetch(window.location.href, { credentials: "same-origin", headers: { "X-Deskside-Refresh": "1" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live]").forEach(function (part) {
          var replacement = fresh.getElementById(part.id);
          if (replacement && replacement.innerHTML !== part.innerHTML) part.innerHTML = replacement.innerHTML;
        });
        repick(picked);
        if (selectedHref) {
          var again = rows().findIndex(function (row) { return row.getAttribute("data-href") === selectedHref; });
          if (again >= 0) markSelected(again);
        }
        document.dispatchEvent(new Event("deskside:queue-refreshed"));
      })
      .catch(function () { /* offline for a moment: the next refresh tries again */ });
  }
  if (document.querySelector("[data-live]")) window.setInterval(refreshQueue, REFRESH_MS);

  // -- bulk actions: the rows' checkboxes (form="bulk"), "select all on this page", and how many
  // are ticked; the refresh keeps what was ticked.
  function pickBoxes() {
    return Array.prototype.slice.call(document.querySelectorAll('input[type=checkbox][form="bulk"][name="ticket"]'));
  }

  function pickedIds() {
    return pickBoxes().filter(function (box) { return box.checked; }).map(function (box) { return box.value; });
  }

  function repick(ids) {
    pickBoxes().forEach(function (box) { box.checked = ids.indexOf(box.value) >= 0; });
    showPicked();
  }

  function showPicked() {
    var boxes = pickBoxes();
    var ticked = boxes.filter(function (box) { return box.checked; }).length;
    var all = document.querySelector("input[data-select-all]");
    if (all) {
      all.checked = boxes.length > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    var count = document.querySelector("[data-picked-count]");
    if (count) count.textContent = ticked ? "(" + ticked + ")" : "";
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches) return;
    if (box.matches("input[data-select-all]")) {
      pickBoxes().forEach(function (each) { each.checked = box.checked; });
      showPicked();
    } else if (box.matches('input[form="bulk"][name="ticket"]')) {
      showPicked();
    }
  });

  // -- canned replies: choosing one fills the reply box ---------------------------------------
  document.addEventListener("change", function (event) {
    var picker = event.target;
    if (!picker.matches || !picker.matches("select[data-canned-for]")) return;
    var option = picker.options[picker.selectedIndex];
    var box = document.getElementById(picker.getAttribute("data-canned-for"));
    if (!box || !option || !option.getAttribute("data-text")) return;
    var text = option.getAttribute("data-text");
    box.value = box.value.trim() ? box.value.replace(/\s*$/, "") + "\n\n" + text : text;
    box.focus();
    updateWriting();
  });

  // -- presence: the heartbeat says "writing" while the reply box has focus or text -------------
  function updateWriting() {
    var flag = document.getElementById("presence-writing");
    var box = document.querySelector("textarea[data-reply-text]");
    if (!flag) return;
    var writing = !!box && (document.activeElement === box || box.value.trim() !== "") ? "true" : "false";
    if (flag.value === writing) return;
    flag.value = writing;
    // Tell the others now rather than at the next beat.
    var beat = document.getElementById("presence");
    if (beat) beat.dispatchEvent(new Event("writing-changed"));
  }
  document.addEventListener("focusin", updateWriting);
  document.addEventListener("focusout", function () { window.setTimeout(updateWriting, 0); });
  document.addEventListener("input", updateWriting);

  // -- htmx: a refused form comes back as 422 with its errors; show it like a normal page -----
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr && event.detail.xhr.status;
    if (status === 422 || status === 403) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
