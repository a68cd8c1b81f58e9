/* answerdesk admin dashboard: plain JS, no dependencies, no build step. Loaded before admin.js,
   which calls window.answerdeskDashboard({ api, h, show, save }) and, after sign-in, .load().
   Server text is only ever set with textContent: never innerHTML. The charts are SVG built with
   createElementNS and shaded with attributes and classes: the page's CSP allows no inline style. */
(() => {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";
  const DAY_MS = 86_400_000;
  const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  const ROWS = [1, 2, 3, 4, 5, 6, 0]; // the heat map's rows, Monday first (the API: 0 = Sunday)
  // Where being above the reference point is better (true) or worse (false).
  const HIGHER_IS_BETTER = {
    self_service: true,
    first_contact_resolution: true,
    complete_at_handoff: true,
    handoff: false,
  };
  const $ = (id) => document.getElementById(id);

  function s(tag, attrs, ...children) {
    const el = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === "text") el.textContent = value;
      else el.setAttribute(name, String(value));
    }
    for (const child of children.flat(Infinity)) el.append(child);
    return el;
  }

  // ------------------------------------------------------------------ formatting

  const known = (x) => typeof x === "number" && Number.isFinite(x);
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

  function percent(x) {
    if (!known(x)) return "—";
    const p = x * 100;
    return p > 0 && p < 10 ? `${(Math.round(p * 10) / 10).toFixed(1)} %` : `${Math.round(p)} %`;
  }

  function duration(seconds) {
    if (!known(seconds)) return "—";
    if (Math.round(seconds) < 60) return `${Math.round(seconds)} s`;
    const minutes = Math.round(seconds / 60);
    if (minutes < 60) return `${minutes} min`;
    return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
  }

  function formatValue(unit, value) {
    if (!known(value)) return "—";
    if (unit === "share") return percent(value);
    if (unit === "seconds") return duration(value);
    return String(Math.round(value));
  }

  const isoDay = (date) => date.toISOString().slice(0, 10);
  const addDays = (day, n) => isoDay(new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS));
  const dayName = (day, options) =>
    new Date(`${day}T00:00:00Z`).toLocaleDateString("en-GB", { timeZone: "UTC", ...options });
  const shortDay = (day) => dayName(day, { day: "numeric", month: "short" });
  const longDay = (day) => dayName(day, { day: "numeric", month: "short", year: "numeric" });
  const hourRange = (hour) => `${String(hour).padStart(2, "0")}:00–${String((hour + 1) % 24).padStart(2, "0")}:00`;
  const axisTitle = (transform, text) => s("text", { class: "axis-title", transform, "text-anchor": "middle", text });
  const tick = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1));

  function niceMax(m) {
    if (m <= 1) return 1;
    if (m <= 10) return m + (m % 2); // even: the middle tick is a whole number
    const step = 10 ** Math.floor(Math.log10(m)) / 5;
    return Math.ceil(m / step) * step;
  }

  window.answerdeskDashboard = ({ api, h, show, save }) => {
    let shown = null; // the range on screen: the CSV downloads are of this one
    let trend = null; // its daily points, drawn again when the page's width changes
    let drawnWidth = 0;
    let asked = 0; // the latest request: an answer to an earlier one is dropped

    const emptyRow = (columns, text) => h("tr", {}, h("td", { colspan: columns, class: "muted", text }));

    async function load(since, until) {
      if (since && until && since > until) {
        show($("dashboard-error"), "The first day (From) must not be after the last (To).");
        return;
      }
      const query = new URLSearchParams();
      if (since) query.set("since", since);
      if (until) query.set("until", until);
      show($("dashboard-error"), "");
      const ticket = ++asked;
      $("dashboard").setAttribute("aria-busy", "true");
      $("apply").disabled = true;
      try {
        const board = await api(`/v1/admin/dashboard${query.toString() ? `?${query}` : ""}`);
        if (ticket === asked) render(board);
      } catch (error) {
        if (ticket === asked) show($("dashboard-error"), error.message);
      } finally {
        if (ticket === asked) {
          $("dashboard").removeAttribute("aria-busy");
          $("apply").disabled = false;
        }
      }
    }

    function render(board) {
      shown = { since: board.since, until: board.until };
      $("since").value = board.since;
      $("until").value = board.until;
      $("dash-range").textContent =
        `${longDay(board.since)} – ${longDay(board.until)}: ${plural(board.conversations, "conversation")}`;
      show(
        $("dash-empty"),
        board.conversations
          ? ""
          : `No conversations from ${longDay(board.since)} to ${longDay(board.until)}: nothing to measure ` +
              "in this range. The backlog is the current one, whatever the range.",
      );
      $("cards").replaceChildren(...board.headline.map(card));
      renderTrend(board);
      renderReasons(board);
      renderHours(board.by_hour);
      $("queue-body").replaceChildren(...satisfaction(board.csat_by_queue));
      $("article-body").replaceChildren(...satisfaction(board.csat_by_article));
      const agents = board.agents.map((a) =>
        h(
          "tr",
          {},
          h("th", { scope: "row", text: a.agent }),
          h("td", { text: String(a.claimed) }),
          h("td", { text: String(a.resolved) }),
          h("td", { text: String(a.replies) }),
        ),
      );
      if (!agents.length) agents.push(emptyRow(4, "No agent activity in this range."));
      $("agents-body").replaceChildren(...agents);
      const today = isoDay(new Date());
      for (const button of document.querySelectorAll("[data-days]")) {
        const days = Number(button.dataset.days);
        const on = board.until === today && board.since === addDays(today, 1 - days);
        button.setAttribute("aria-pressed", String(on));
      }
    }

    // ---------------------------------------------------------------- headline cards

    function card(f) {
      const basis = {
        share: f.total ? `${f.count} of ${f.total}` : "none in this range",
        seconds: f.count ? `over ${plural(f.count, "case")}` : "no cases in this range",
        count: "",
      }[f.unit];
      return h(
        "li",
        { class: "card stat", "data-key": f.key },
        h("p", { class: "stat-label", text: f.label }),
        h("p", { class: "stat-value", text: formatValue(f.unit, f.value) }),
        basis ? h("p", { class: "stat-basis muted small", text: basis }) : [],
        known(f.wall_clock) ? h("p", { class: "stat-clock muted small", text: clock(f) }) : [],
        known(f.reference) ? reference(f) : [],
        h("p", { class: "stat-def small", text: f.definition }),
      );
    }

    // A time counted within support hours shows its wall-clock twin: what the customer lived.
    const clock = (f) => `${formatValue(f.unit, f.wall_clock)} on the clock`;

    function reference(f) {
      const label = f.reference_label || formatValue(f.unit, f.reference);
      const line = h("p", { class: "stat-ref small" }, h("span", { text: `Reference: ${label}` }));
      const higherIsBetter = HIGHER_IS_BETTER[f.key];
      if (higherIsBetter === undefined || !known(f.value)) return line;
      const above = f.value > f.reference;
      const even = f.value === f.reference;
      const better = !even && above === higherIsBetter;
      line.append(
        " ",
        h(
          "span",
          { class: `verdict ${even ? "even" : better ? "better" : "worse"}` },
          h("span", { "aria-hidden": "true", text: even ? "= " : above ? "▲ " : "▼ " }),
          even ? "at the reference" : `${above ? "above" : "below"}, ${better ? "better" : "worse"}`,
        ),
      );
      return line;
    }

    // ---------------------------------------------------------------- the daily trend

    function renderTrend(board) {
      const byDay = new Map(board.trend.map((p) => [p.day, p]));
      const points = [];
      for (let day = board.since; day <= board.until; day = addDays(day, 1)) {
        const none = { day, conversations: 0, self_served: 0, handed_off: 0, self_service_rate: null };
        points.push(byDay.get(day) || none);
      }
      $("trend-body").replaceChildren(
        ...points.map((p) =>
          h(
            "tr",
            {},
            h("th", { scope: "row", text: p.day }),
            h("td", { text: String(p.conversations) }),
            h("td", { text: String(p.self_served) }),
            h("td", { text: String(p.handed_off) }),
            h("td", { text: percent(p.self_service_rate) }),
          ),
        ),
      );
      trend = board.trend.length ? points : null;
      drawTrend();
    }

    function drawTrend() {
      drawnWidth = $("trend-chart").clientWidth;
      $("trend-chart").replaceChildren(
        trend ? trendChart(trend) : h("p", { class: "muted", text: "No conversations in this range: nothing to chart." }),
      );
    }

    // Drawn at the width it is shown at (1 unit = 1 px, so text keeps its size); narrower than
    // 560 px (a phone), it scrolls sideways.
    function trendChart(points) {
      const [W, H, L, R, T, B] = [Math.max(560, drawnWidth || 760), 280, 48, 56, 14, 44];
      const [width, height] = [W - L - R, H - T - B];
      const top = niceMax(Math.max(...points.map((p) => p.conversations)));
      const step = width / points.length;
      const x = (i) => L + i * step;
      const yCount = (n) => T + height - (n / top) * height;
      const yRate = (r) => T + height - r * height;
      const rated = points.filter((p) => known(p.self_service_rate));
      const busiest = points.reduce((a, b) => (b.conversations > a.conversations ? b : a));
      const rates = rated.map((p) => p.self_service_rate);
      const desc =
        `${points.reduce((n, p) => n + p.conversations, 0)} conversations from ${points[0].day} to ` +
        `${points[points.length - 1].day}; the busiest day was ${busiest.day} with ${busiest.conversations}. ` +
        `The daily self-service rate ranged from ${percent(Math.min(...rates))} to ${percent(Math.max(...rates))}.`;
      const grid = [0, 0.5, 1].map((f) => [
        s("line", { class: "grid", x1: L, x2: L + width, y1: yRate(f), y2: yRate(f) }),
        s("text", { class: "axis-label", x: L - 6, y: yRate(f) + 4, "text-anchor": "end", text: tick(top * f) }),
        s("text", { class: "axis-label", x: L + width + 6, y: yRate(f) + 4, text: percent(f) }),
      ]);
      const bars = points.map((p, i) => {
        const bar = { x: x(i) + step * 0.15, y: yCount(p.conversations), width: Math.max(step * 0.7, 0.6) };
        bar.height = T + height - bar.y;
        const label = `${p.day}: ${plural(p.conversations, "conversation")}`;
        return s("rect", { class: "bar", ...bar }, s("title", { text: label }));
      });
      let d = "";
      let previous = -2;
      points.forEach((p, i) => {
        if (!known(p.self_service_rate)) return;
        const [px, py] = [x(i) + step / 2, yRate(p.self_service_rate)];
        d += `${i === previous + 1 ? "L" : "M"}${px.toFixed(1)} ${py.toFixed(1)} `;
        previous = i;
      });
      const dots = (points.length <= 45 ? rated : []).map((p) =>
        s(
          "circle",
          { class: "dot", cx: x(points.indexOf(p)) + step / 2, cy: yRate(p.self_service_rate), r: 3 },
          s("title", { text: `${p.day}: ${percent(p.self_service_rate)} self-served` }),
        ),
      );
      const labels = [];
      const every = Math.max(1, Math.ceil(points.length / 6));
      for (let i = 0; i < points.length; i += every) {
        const at = { x: x(i) + step / 2, y: T + height + 16, "text-anchor": "middle" };
        labels.push(s("text", { class: "axis-label", ...at, text: shortDay(points[i].day) }));
      }
      const middle = T + height / 2;
      return s(
        "svg",
        { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", "aria-labelledby": "trend-title trend-desc" },
        s("title", { id: "trend-title", text: "Conversations and self-service rate per day" }),
        s("desc", { id: "trend-desc", text: desc }),
        grid,
        bars,
        s("path", { class: "rate", d: d.trim() || "M0 0" }),
        dots,
        s("line", { class: "axis", x1: L, x2: L + width, y1: T + height, y2: T + height }),
        labels,
        s("text", { class: "axis-title", x: L + width / 2, y: H - 4, "text-anchor": "middle", text: "Day (UTC)" }),
        axisTitle(`translate(12 ${middle}) rotate(-90)`, "Conversations"),
        axisTitle(`translate(${W - 8} ${middle}) rotate(90)`, "Self-service rate"),
      );
    }

    // ---------------------------------------------------------------- hand-off reasons

    function renderReasons(board) {
      const reasons = Object.entries(board.handoff_by_reason).sort((a, b) => b[1] - a[1]);
      const most = Math.max(1, ...reasons.map(([, n]) => n));
      const items = reasons.map(([reason, n]) => {
        const rate = board.conversations ? percent(n / board.conversations) : "—";
        return h(
          "li",
          {},
          h("span", { class: "bar-label", text: reason.replace(/_/g, " ").replace(":", ": ") }),
          h("span", { class: "bar-value", text: `${rate} · ${plural(n, "case")}` }),
          s(
            "svg",
            { class: "bar-track", viewBox: "0 0 100 8", preserveAspectRatio: "none", "aria-hidden": "true" },
            s("rect", { class: "track", width: 100, height: 8, rx: 2 }),
            s("rect", { class: "fill", width: (n / most) * 100, height: 8, rx: 2 }),
          ),
        );
      });
      if (!items.length) items.push(h("li", { class: "muted", text: "No hand-offs in this range." }));
      $("reasons").replaceChildren(...items);
    }

    // ---------------------------------------------------------------- SLA breaches by weekday × hour

    function renderHours(cells) {
      const at = new Map(cells.map((c) => [`${c.weekday}:${c.hour}`, c]));
      const HOURS = [...Array(24).keys()];
      const ordered = ROWS.flatMap((w) => HOURS.map((hour) => at.get(`${w}:${hour}`)).filter(Boolean));
      $("hours-body").replaceChildren(
        ...(ordered.length
          ? ordered.map((c) =>
              h(
                "tr",
                {},
                h("th", { scope: "row", text: WEEKDAYS[c.weekday] }),
                h("td", { text: hourRange(c.hour) }),
                h("td", { text: String(c.cases) }),
                h("td", { text: String(c.breached) }),
              ),
            )
          : [emptyRow(4, "No cases in this range.")]),
      );
      if (!cells.length) {
        $("heatmap").replaceChildren(h("p", { class: "muted", text: "No cases in this range." }));
        return;
      }
      const [C, G, L, T] = [22, 2, 40, 20]; // cell, gap, left and top margins
      const most = Math.max(0, ...cells.map((c) => c.breached));
      const breached = cells.reduce((n, c) => n + c.breached, 0);
      const total = cells.reduce((n, c) => n + c.cases, 0);
      const worst = cells.reduce((a, b) => (b.breached > a.breached ? b : a));
      const rects = ROWS.flatMap((weekday, row) =>
        HOURS.map((hour) => {
          const c = at.get(`${weekday}:${hour}`) || { cases: 0, breached: 0 };
          const attrs = { x: L + hour * (C + G), y: T + row * (C + G), width: C, height: C, rx: 3 };
          attrs.class = c.breached ? "heat" : c.cases ? "heat-ok" : "heat-none";
          if (c.breached) attrs["fill-opacity"] = (0.2 + (0.8 * c.breached) / most).toFixed(2);
          const label = `${WEEKDAYS[weekday]} ${hourRange(hour)}: ${c.breached} breached of ${plural(c.cases, "case")}`;
          return s("rect", attrs, s("title", { text: label }));
        }),
      );
      const legendY = T + 7 * (C + G) + 12;
      const [width, height] = [L + 24 * (C + G), legendY + 22];
      const legend = [0.2, 0.4, 0.6, 0.8, 1].map((o, i) =>
        s("rect", { class: "heat", "fill-opacity": o, x: L + 60 + i * 16, y: legendY, width: 14, height: 12, rx: 2 }),
      );
      const desc = most
        ? `${breached} of ${plural(total, "case")} breached the SLA; the most on ` +
          `${WEEKDAYS[worst.weekday]} ${hourRange(worst.hour)} (${worst.breached}).`
        : `None of the ${plural(total, "case")} breached the SLA.`;
      const rowLabels = ROWS.map((w, row) => {
        const at = { x: L - 6, y: T + row * (C + G) + 15, "text-anchor": "end" };
        return s("text", { class: "axis-label", ...at, text: WEEKDAYS[w].slice(0, 3) });
      });
      const hourLabels = [0, 3, 6, 9, 12, 15, 18, 21].map((hour) => {
        const at = { x: L + hour * (C + G) + C / 2, y: T - 6, "text-anchor": "middle" };
        return s("text", { class: "axis-label", ...at, text: String(hour).padStart(2, "0") });
      });
      $("heatmap").replaceChildren(
        s(
          "svg",
          { viewBox: `0 0 ${width} ${height}`, role: "img", class: "heat-svg", "aria-labelledby": "heat-title heat-desc" },
          s("title", { id: "heat-title", text: "SLA breaches by weekday and hour of arrival (UTC)" }),
          s("desc", { id: "heat-desc", text: desc }),
          rowLabels,
          hourLabels,
          s("g", { class: "cells" }, rects),
          s("text", { class: "axis-label", x: L + 54, y: legendY + 10, "text-anchor": "end", text: "Fewer" }),
          legend,
          s("text", { class: "axis-label", x: L + 146, y: legendY + 10, text: `More breaches (most: ${most})` }),
          s("rect", { class: "heat-ok", x: L + 330, y: legendY, width: 14, height: 12, rx: 2 }),
          s("text", { class: "axis-label", x: L + 350, y: legendY + 10, text: "Cases, none breached" }),
        ),
      );
    }

    // ---------------------------------------------------------------- CSAT tables

    function satisfaction(rows) {
      if (!rows.length) return [emptyRow(5, "No CSAT scores or thumbs in this range.")];
      return rows.map((r) =>
        h(
          "tr",
          {},
          h("th", { scope: "row", text: r.name }),
          h("td", { text: known(r.mean_csat) ? `${r.mean_csat.toFixed(2)} / 5` : "—" }),
          h("td", { text: String(r.responses) }),
          h("td", { text: String(r.helpful) }),
          h("td", { text: String(r.unhelpful) }),
        ),
      );
    }

    // ---------------------------------------------------------------- CSV downloads

    async function download(table, button) {
      if (!shown) return;
      const query = new URLSearchParams({ table, since: shown.since, until: shown.until });
      show($("dashboard-error"), "");
      button.disabled = true;
      try {
        const blob = await api(`/v1/admin/dashboard.csv?${query}`, "GET", "text/csv");
        save(blob, `answerdesk-${table}-${shown.since}-${shown.until}.csv`);
      } catch (error) {
        show($("dashboard-error"), error.message);
      } finally {
        button.disabled = false;
      }
    }

    $("range-form").addEventListener("submit", (event) => {
      event.preventDefault();
      load($("since").value, $("until").value);
    });
    for (const button of document.querySelectorAll("[data-days]")) {
      button.addEventListener("click", () => {
        const until = isoDay(new Date());
        load(addDays(until, 1 - Number(button.dataset.days)), until);
      });
    }
    for (const button of document.querySelectorAll("[data-csv]")) {
      button.addEventListener("click", () => download(button.dataset.csv, button));
    }
    let resizing = 0;
    window.addEventListener("resize", () => {
      clearTimeout(resizing);
      resizing = setTimeout(() => {
        if (trend && $("trend-chart").clientWidth !== drawnWidth) drawTrend();
      }, 150);
    });

    return { load: () => load() };
  };
})();
