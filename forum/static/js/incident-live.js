// incident-live: an open incident's page receives new timeline updates as they are
// posted, through server-sent events (/status/<id>/events; forum/incidents/live.py),
// so customers need not reload. Each message carries the entry's server-rendered,
// sanitised HTML (the same macro as the page). Without JavaScript or EventSource the
// page is the same, and a reload shows the updates.
(function () {
  "use strict";
  var timeline = document.querySelector("[data-live-url]");
  if (!timeline || !window.EventSource || !window.DOMParser) { return; }
  var status = timeline.querySelector(".live-status");
  var heading = timeline.querySelector("h2");
  var newest = 0;
  timeline.querySelectorAll("article[id^='u']").forEach(function (el) {
    var n = parseInt(el.id.slice(1), 10);
    if (n > newest) { newest = n; }
  });
  var url = timeline.getAttribute("data-live-url") + "?after=" + newest;
  var source = new EventSource(url);

  source.addEventListener("update", function (event) {
    var data;
    try { data = JSON.parse(event.data); } catch (e) { return; }
    if (!data || !data.id || document.getElementById("u" + data.id)) { return; }
    var doc = new DOMParser().parseFromString(data.html, "text/html");
    var entry = doc.body.firstElementChild;
    if (!entry) { return; }
    var anchor = status || heading;
    anchor.parentNode.insertBefore(document.importNode(entry, true), anchor.nextSibling);
    var state = document.getElementById("incident-state");
    if (state && data.state_label) {
      state.textContent = data.state_label;
      state.className = "tag tag-state-" + data.state;
    }
    if (status) { status.textContent = "New update: " + (data.state_label || ""); }
    if (data.state === "resolved") { source.close(); }
  });
})();
