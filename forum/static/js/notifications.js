// notifications: the header's "Notifications" link opens the latest notifications in a
// panel, without a page load. The panel is an HTML fragment from /notifications/menu
// (server-rendered and escaped, the same items as the /notifications page, which stays
// the link's target without JavaScript or when the fetch fails).
(function () {
  "use strict";
  var link = document.getElementById("notifications-link");
  var panel = document.getElementById("notifications-menu");
  if (!link || !panel || !window.fetch || !window.DOMParser) { return; }
  link.setAttribute("aria-expanded", "false");

  function close() {
    panel.hidden = true;
    link.setAttribute("aria-expanded", "false");
  }

  function updateBadge(count) {
    var badge = link.querySelector(".count-badge");
    if (!count) { if (badge) { badge.remove(); } return; }
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "count-badge";
      link.appendChild(document.createTextNode(" "));
      link.appendChild(badge);
    }
    badge.textContent = String(count);
    badge.setAttribute("aria-label", count + " unread");
  }

  function open() {
    fetch(link.getAttribute("data-menu-url"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (resp) {
        if (!resp.ok) { throw new Error("menu " + resp.status); }
        return resp.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var body = doc.querySelector(".notification-menu-body");
        if (!body) { throw new Error("menu: no body"); }
        panel.replaceChildren(document.importNode(body, true));
        updateBadge(parseInt(body.getAttribute("data-unread"), 10) || 0);
        panel.hidden = false;
        link.setAttribute("aria-expanded", "true");
        var first = panel.querySelector("button, a");
        if (first) { first.focus(); }
      })
      .catch(function () { window.location.href = link.href; });
  }

  link.addEventListener("click", function (ev) {
    if (ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) { return; }
    ev.preventDefault();
    if (panel.hidden) { open(); } else { close(); }
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && !panel.hidden) { close(); link.focus(); }
  });
})();
