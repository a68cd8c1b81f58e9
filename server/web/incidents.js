/* answerdesk admin incidents: open an incident (title, affected product areas, status, a first
   update), post timed updates on the open ones until resolved, and look back at the recently
   resolved ones. While one is open customers see it in the widget's banner, first in the
   answers to matching questions and on the public /status page. Plain JS, no dependencies, no
   build step. Loaded before admin.js, which calls window.answerdeskIncidents({ api, h, show })
   and, after sign-in, .load(). Server text is only ever set with textContent: never innerHTML. */
(() => {
  "use strict";
  const STATUSES = ["investigating", "identified", "monitoring", "resolved"];
  const MAX_AREAS = 20;
  const $ = (id) => document.getElementById(id);

  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const known = (status) => (STATUSES.includes(status) ? status : "unknown");
  const word = (status) => {
    const text = String(status || "");
    return text.charAt(0).toUpperCase() + text.slice(1);
  };

  /** `iso` in the browser's time zone, the zone named. */
  function when(iso) {
    const date = new Date(iso);
    if (!iso || Number.isNaN(date.getTime())) return "";
    return date.toLocaleString([], {
      day: "numeric",
      month: "short",
      hour: "2-digit",
      minute: "2-digit",
      timeZoneName: "short",
    });
  }

  /** The comma-separated areas as a list: trimmed, without blanks or repeats. */
  const areaList = (text) => [...new Set(text.split(",").map((a) => a.trim()).filter(Boolean))];

  window.answerdeskIncidents = ({ api, h: make, show }) => {
    // admin.js's h appends every child: the empty ones are left out here.
    const h = (tag, attrs, ...children) =>
      make(tag, attrs, ...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
    const post = (path, body) => api(path, "POST", "application/json", body);
    let asked = 0;

    async function load() {
      const ticket = ++asked;
      show($("incidents-error"), "");
      $("incident-list").setAttribute("aria-busy", "true");
      try {
        const { incidents } = await api("/v1/admin/incidents?limit=50");
        if (ticket === asked) render(incidents);
      } catch (error) {
        if (ticket === asked) show($("incidents-error"), error.message);
      } finally {
        if (ticket === asked) $("incident-list").removeAttribute("aria-busy");
      }
    }

    function render(incidents) {
      // An update being written on another incident survives the list being drawn again.
      const drafts = new Map(
        [...document.querySelectorAll("#incidents textarea[data-incident]")].map((t) => [t.dataset.incident, t.value]),
      );
      const active = incidents.filter((i) => i.status !== "resolved");
      const resolved = incidents.filter((i) => i.status === "resolved");
      $("incidents-summary").textContent = active.length
        ? `${plural(active.length, "active incident")}: customers see ${active.length === 1 ? "it" : "them"} in the widget and on the status page`
        : "No active incident";
      $("incidents-summary").classList.toggle("live", active.length > 0);
      $("incident-list").replaceChildren(...active.map((i) => item(i, drafts)));
      show($("incidents-empty"), active.length ? "" : "All clear: no incident is open.");
      $("incidents-resolved").hidden = !resolved.length;
      $("resolved-count").textContent = `Resolved incidents (${resolved.length})`;
      $("resolved-incidents").replaceChildren(...resolved.map((i) => item(i, drafts)));
    }

    function item(incident, drafts) {
      const status = known(incident.status);
      const title = String(incident.title || `Incident #${incident.id}`);
      const areas = Array.isArray(incident.areas) ? incident.areas : [];
      const facts = [
        `#${incident.id}`,
        areas.length ? `affects ${areas.join(", ")}` : "no product area",
        `started ${when(incident.started_at)}`,
        incident.resolved_at ? `resolved ${when(incident.resolved_at)}` : `updated ${when(incident.updated_at)}`,
      ];
      return h(
        "li",
        { class: `card incident-item s-${status}`, "data-incident": String(incident.id) },
        h(
          "div",
          { class: "incident-head" },
          h("h4", { id: `incident-${incident.id}-h`, tabindex: "-1", text: title }),
          h("span", { class: `pill s-${status}`, text: word(incident.status) }),
        ),
        h("p", { class: "muted small flush", text: facts.join(" · ") }),
        timeline(incident.updates || [], title),
        status === "resolved" ? null : updateForm(incident, title, drafts),
      );
    }

    function timeline(updates, title) {
      return h(
        "ol",
        { class: "timeline", "aria-label": `Updates on ${title}, newest first` },
        updates.map((u) =>
          h(
            "li",
            { class: `s-${known(u.status)}` },
            h(
              "p",
              { class: "update-head" },
              h("strong", { text: word(u.status) }),
              ` · ${when(u.created_at)}${u.author ? ` · ${u.author}` : ""}`,
            ),
            h("p", { class: "update-text", text: String(u.message || "") }),
          ),
        ),
      );
    }

    function updateForm(incident, title, drafts) {
      const id = incident.id;
      const select = h(
        "select",
        { id: `incident-${id}-status` },
        STATUSES.map((s) => h("option", { value: s, text: word(s) })),
      );
      select.value = known(incident.status);
      const message = h("textarea", {
        id: `incident-${id}-message`,
        rows: "2",
        maxlength: "2000",
        "data-incident": String(id),
      });
      message.value = drafts.get(String(id)) || "";
      const error = h("p", { class: "banner error", role: "alert" });
      error.hidden = true;
      const button = h("button", { type: "submit", class: "primary", text: "Post update" });
      const form = h(
        "form",
        { class: "update-form", novalidate: "", "aria-label": `Post an update on ${title}` },
        h(
          "div",
          { class: "update-fields" },
          h("div", {}, h("label", { for: select.id, text: "Status" }), select),
          h("div", { class: "grow" }, h("label", { for: message.id, text: "Update for customers" }), message),
        ),
        error,
        h("div", { class: "actions" }, button),
      );
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const text = message.value.trim();
        message.removeAttribute("aria-invalid");
        if (!text) {
          show(error, "Write the update customers will read.");
          message.setAttribute("aria-invalid", "true");
          message.focus();
          return;
        }
        button.disabled = true;
        show(error, "");
        try {
          const updated = await post(`/v1/admin/incidents/${id}/updates`, { status: select.value, message: text });
          message.value = "";
          await load();
          const done = updated && updated.status === "resolved";
          announce(done ? `Resolved: ${title}. Customers no longer see it.` : `Update posted on ${title}.`);
          ($(`incident-${id}-h`) && !done ? $(`incident-${id}-h`) : $("incidents-h")).focus();
        } catch (failure) {
          show(error, failure.message);
          button.disabled = false;
          if (failure.status === 409) await load(); // resolved meanwhile: the list says so
        }
      });
      return form;
    }

    function announce(text) {
      show($("incidents-status"), text);
    }

    // ---------------------------------------------------------------- opening one

    function toggleForm(open) {
      $("incident-form").hidden = !open;
      $("incident-new").setAttribute("aria-expanded", String(open));
      if (open) $("incident-title").focus();
    }

    $("incident-new").addEventListener("click", () => toggleForm($("incident-form").hidden));
    $("incident-cancel").addEventListener("click", () => {
      toggleForm(false);
      $("incident-new").focus();
    });

    function refuse(field, text) {
      show($("incident-form-error"), text);
      $(field).setAttribute("aria-invalid", "true");
      $(field).focus();
    }

    $("incident-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      for (const field of ["incident-title", "incident-areas", "incident-message"]) $(field).removeAttribute("aria-invalid");
      show($("incident-form-error"), "");
      const title = $("incident-title").value.trim();
      const areas = areaList($("incident-areas").value);
      const message = $("incident-message").value.trim();
      if (!title) return refuse("incident-title", "Give the incident a title customers will understand.");
      if (areas.length > MAX_AREAS) return refuse("incident-areas", `At most ${MAX_AREAS} product areas.`);
      if (!message) return refuse("incident-message", "Write the first update customers will read.");
      $("incident-open").disabled = true;
      try {
        const opened = await post("/v1/admin/incidents", { title, areas, status: $("incident-status").value, message });
        $("incident-form").reset();
        toggleForm(false);
        await load();
        announce(`Opened: ${opened.title}. Customers now see it.`);
        const heading = $(`incident-${opened.id}-h`);
        (heading || $("incidents-h")).focus();
      } catch (error) {
        show($("incident-form-error"), error.message);
      } finally {
        $("incident-open").disabled = false;
      }
    });

    return { load };
  };
})();
