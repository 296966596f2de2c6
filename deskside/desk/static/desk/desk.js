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
    openTabOf(field);
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
    box.dispatchEvent(new Event("input", { bubbles: true }));  // saved as a draft, "writing"
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

  // -- htmx: a refused form comes back as 422 with its errors; show it like a normal page. A
  // form sent in place keeps the page where it was: the part it was sent from (the composer's
  // tab, else the page) stays at the same height on the screen, so a new message shows just
  // above the composer instead of the page jumping to its top.
  var keptPlace = null;

  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr && event.detail.xhr.status;
    if (status === 422 || status === 403) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
    var sender = event.detail.requestConfig && event.detail.requestConfig.elt;  // elt: the target
    if (!event.detail.shouldSwap || !sender || sender.tagName !== "FORM") return;
    var answered = new URL(event.detail.xhr.responseURL || window.location.href);
    // The same page, or its form refused (answered at the action's address below the page's).
    if (answered.pathname.indexOf(window.location.pathname) !== 0) return;  // another page: its top
    var spot = sender.closest("[id]");
    keptPlace = spot ? { id: spot.id, top: spot.getBoundingClientRect().top } : null;
    event.detail.swapOverride = "innerHTML show:none";
  });

  document.addEventListener("htmx:afterSwap", function () {
    setUpTabs();
    if (!keptPlace) return;
    var again = document.getElementById(keptPlace.id);
    if (again && again.getClientRects().length) {
      window.scrollBy(0, again.getBoundingClientRect().top - keptPlace.top);
    }
    keptPlace = null;
  });

  // -- tabs (the ticket's composer): the ARIA tabs pattern. The server renders them as links
  // (?compose=note) that work without JavaScript; here a click or the arrow keys switch the
  // panel in place, so nothing typed in the other tabs is lost.
  function tabsOf(list) { return Array.prototype.slice.call(list.querySelectorAll("[role=tab]")); }

  function showTab(tab, focus) {
    tabsOf(tab.closest("[role=tablist]")).forEach(function (each) {
      var on = each === tab;
      each.setAttribute("aria-selected", on ? "true" : "false");
      each.tabIndex = on ? 0 : -1;  // one stop in the tab order; arrows move within
      var panel = document.getElementById(each.getAttribute("aria-controls"));
      if (panel) panel.hidden = !on;
    });
    if (focus) tab.focus();
  }

  function setUpTabs() {
    document.querySelectorAll("[role=tablist]").forEach(function (list) {
      tabsOf(list).forEach(function (tab) {
        tab.tabIndex = tab.getAttribute("aria-selected") === "true" ? 0 : -1;
      });
    });
  }

  function openTabOf(field) {
    var panel = field.closest("[role=tabpanel]");
    var tab = panel && panel.hidden && document.querySelector('[role=tab][aria-controls="' + panel.id + '"]');
    if (tab) showTab(tab, false);
  }

  setUpTabs();
  document.addEventListener("click", function (event) {
    var tab = event.target.closest && event.target.closest("[role=tab]");
    if (!tab || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    showTab(tab, true);
  });
  document.addEventListener("keydown", function (event) {
    var tab = event.target.closest && event.target.closest("[role=tab]");
    if (!tab) return;
    var all = tabsOf(tab.closest("[role=tablist]"));
    var here = all.indexOf(tab);
    var to = { ArrowRight: here + 1, ArrowLeft: here - 1, Home: 0, End: all.length - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    showTab(all[(to + all.length) % all.length], true);
  });

  // -- drafts: each composer tab's text is saved on the server as one types (a pause of
  // DRAFT_PAUSE_MS), per user, ticket and tab; the server deletes it when the message is sent.
  // Leaving the page with text not saved yet asks first (and tries to save it on the way out).
  var DRAFT_PAUSE_MS = 800;
  var drafts = new WeakMap();

  function draftOf(box) {
    var draft = drafts.get(box);
    if (!draft) {
      draft = { saved: box.defaultValue, timer: 0, saving: null };
      drafts.set(box, draft);
    }
    return draft;
  }

  function draftBoxes() {
    return Array.prototype.slice.call(document.querySelectorAll("form[data-draft] textarea"));
  }

  function saveDraft(box, keepalive) {
    var draft = draftOf(box);
    var form = box.form;
    var text = box.value;
    window.clearTimeout(draft.timer);
    if (text === draft.saved) return draft.saving;  // null: nothing on its way
    var body = new URLSearchParams();
    body.append("csrfmiddlewaretoken", form.elements.csrfmiddlewaretoken.value);
    body.append("text", text);
    var status = form.querySelector("[data-draft-status]");
    draft.saving = window.fetch(form.getAttribute("data-draft"), {
      method: "POST", credentials: "same-origin", body: body, keepalive: !!keepalive
    })
      .then(function (response) {
        return response.text().then(function (said) {
          if (response.ok) draft.saved = text;
          if (status) status.textContent = said;
        });
      })
      .catch(function () { if (status) status.textContent = "Draft not saved (offline?); it is tried again as you type."; })
      .then(function () { draft.saving = null; });
    return draft.saving;
  }

  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("form[data-draft] textarea")) return;
    var draft = draftOf(box);
    window.clearTimeout(draft.timer);
    draft.timer = window.setTimeout(function () { saveDraft(box); }, DRAFT_PAUSE_MS);
  });

  // A form sent or a link followed in place (htmx) brings a new page: the drafts are saved
  // first, so that the new page shows them. The box being sent is not saved but its pending
  // save dropped (it would bring the sent text back as a draft), and one on its way waited for.
  document.addEventListener("htmx:confirm", function (event) {
    var sender = event.detail.elt;
    if (!sender || !sender.matches || !sender.matches("form, a")) return;  // not the presence beat
    var sent = sender.matches("form[data-draft]") && sender.querySelector("textarea");
    if (sent) {
      window.clearTimeout(draftOf(sent).timer);
      draftOf(sent).saved = sent.value;  // what is sent is no longer unsaved
    }
    var waits = draftBoxes().map(function (box) { return saveDraft(box); }).filter(Boolean);
    if (!waits.length) return;
    event.preventDefault();
    Promise.all(waits).then(function () { event.detail.issueRequest(true); });
  });
  document.addEventListener("submit", function (event) {
    var box = event.target.matches && event.target.matches("form[data-draft]") && event.target.querySelector("textarea");
    if (box) draftOf(box).saved = box.value;
  });

  window.addEventListener("beforeunload", function (event) {
    var unsaved = draftBoxes().filter(function (box) { return box.value !== draftOf(box).saved; });
    if (!unsaved.length) return;
    unsaved.forEach(function (box) { saveDraft(box, true); });
    event.preventDefault();
    event.returnValue = "";  // the browser says it in its own words
  });
})();
