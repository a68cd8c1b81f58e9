/* answerdesk public status page (status.html): the open incidents with their updates, then those
   resolved in the last 7 days, from GET /v1/status and refreshed every minute. Times are the
   reader's own, with the zone. Plain JS, no dependencies, no build step. Server text is only
   ever set with textContent: never innerHTML. */
(() => {
  "use strict";
  const REFRESH_MS = 60_000;
  const STATUS = {
    investigating: "Investigating",
    identified: "Identified",
    monitoring: "Monitoring",
    resolved: "Resolved",
  };
  const $ = (id) => document.getElementById(id);
  let loading = false;

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") el.className = value;
      else if (name === "text") el.textContent = value;
      else el.setAttribute(name, String(value));
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined && child !== false) el.append(child);
    }
    return el;
  }

  function show(el, text) {
    el.textContent = text || "";
    el.hidden = !text;
  }

  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const known = (status) => (Object.hasOwn(STATUS, status) ? status : "unknown");
  const word = (status) => STATUS[status] || String(status || "");

  /** `iso` in the reader's time zone, the zone named: "4 Dec 2026, 15:05 GMT+1". */
  function when(iso) {
    const date = new Date(iso);
    if (!iso || Number.isNaN(date.getTime())) return "";
    return date.toLocaleString([], {
      day: "numeric",
      month: "short",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      timeZoneName: "short",
    });
  }

  const time = (iso) => h("time", { datetime: iso, text: when(iso) });

  function incident(item) {
    const status = known(item.status);
    const title = String(item.title || `Incident #${item.id}`);
    const areas = Array.isArray(item.areas) ? item.areas.map(String) : [];
    const updates = Array.isArray(item.updates) ? item.updates : [];
    return h(
      "li",
      { class: `card incident s-${status}`, "data-incident": item.id },
      h(
        "div",
        { class: "incident-head" },
        h("h3", { text: title }),
        h("span", { class: `pill s-${status}`, text: word(item.status) }),
      ),
      h(
        "p",
        { class: "facts muted small" },
        areas.length ? `Affects ${areas.join(", ")} · ` : "",
        "Started ",
        time(item.started_at),
        item.resolved_at ? [" · resolved ", time(item.resolved_at)] : null,
      ),
      h(
        "ol",
        { class: "timeline", "aria-label": `Updates on ${title}, newest first` },
        updates.map((update) =>
          h(
            "li",
            { class: `s-${known(update.status)}` },
            h("p", { class: "update-head" }, h("strong", { text: word(update.status) }), " · ", time(update.created_at)),
            h("p", { class: "update-text", text: String(update.message || "") }),
          ),
        ),
      ),
    );
  }

  function render(data) {
    const active = Array.isArray(data.incidents) ? data.incidents : [];
    const resolved = Array.isArray(data.resolved) ? data.resolved : [];
    const overall = active.length ? `${plural(active.length, "active incident")}` : "All systems operational";
    const banner = $("overall");
    banner.classList.toggle("is-incident", active.length > 0);
    banner.classList.toggle("is-ok", active.length === 0);
    // Set only when it changes: the status region announces each change once, not every minute.
    if ($("overall-text").textContent !== overall) $("overall-text").textContent = overall;
    $("checked").textContent = `Checked ${when(data.checked_at || new Date().toISOString())} · refreshed every minute`;
    $("active").hidden = !active.length;
    $("active-list").replaceChildren(...active.map(incident));
    $("resolved-empty").hidden = resolved.length > 0;
    $("resolved-list").replaceChildren(...resolved.map(incident));
  }

  async function load() {
    if (loading) return;
    loading = true;
    try {
      let res;
      try {
        res = await fetch("/v1/status", { headers: { Accept: "application/json" } });
      } catch {
        throw new Error("The status service cannot be reached. This page tries again every minute.");
      }
      if (!res.ok) {
        let message = `The status service answered ${res.status}.`;
        try {
          const payload = await res.json();
          if (payload && payload.error && payload.error.message) message = payload.error.message;
        } catch {
          /* not JSON */
        }
        throw new Error(message);
      }
      render(await res.json());
      show($("error"), "");
    } catch (error) {
      show($("error"), error.message);
      if ($("overall-text").textContent === "Checking…") $("overall-text").textContent = "Status unknown";
    } finally {
      loading = false;
    }
  }

  load();
  setInterval(() => {
    if (!document.hidden) load();
  }, REFRESH_MS);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) load();
  });
})();
