/* answerdesk agent console, search: finding any case (resolved ones too) and a customer's
   earlier cases. Plain JS, no dependencies, no build step. Loaded before agent.js, which calls
   window.answerdeskSearch({ api, h, pretty, when }) with its own helpers and gets back
   { focus, clear, earlier }.

   GET /v1/agent/cases/search?q= matches every word in one message of the conversation, the
   customer's email or account id, the case's issue, or its number (`#12`), newest first. The
   results take the queue list's place until the agent clears them; they stay while a case is
   open, so "Back to the queue" returns to them. Server text is set with textContent only. */
(() => {
  "use strict";
  const LIMIT = 50;

  window.answerdeskSearch = ({ api, h, pretty, when }) => {
    const $ = (id) => document.getElementById(id);
    let asked = 0; // bumped on every search and clear: a slow answer to an old one is dropped

    function show(el, text) {
      el.textContent = text || "";
      el.hidden = !text;
    }

    function statusPill(status) {
      return h("span", { class: `pill s-${String(status).split("_")[0]}`, text: pretty(status) });
    }

    function resultRow(row) {
      return h(
        "tr",
        { "data-case": row.id, class: row.status === "resolved" ? "resolved" : null },
        h("td", { class: "nowrap", text: `#${row.id}` }),
        h("td", { class: "title" }, h("a", { href: `#case-${row.id}`, text: row.title || `Case ${row.id}` })),
        h("td", { text: (row.customer && (row.customer.email || row.customer.id)) || "—" }),
        h("td", {}, statusPill(row.status)),
        h("td", { text: row.claimed_by || "—" }),
        h("td", { class: "nowrap", text: when(row.created_at) }),
      );
    }

    /** The results in place of the queue list (or the queue list back, with `null`). */
    function display(results) {
      const on = results !== null;
      $("queue-list").hidden = on;
      $("search-results").hidden = !on;
      if (on) {
        const { q, cases } = results;
        $("search-h").textContent = `${cases.length} result${cases.length === 1 ? "" : "s"} for “${q}”`;
        $("search-body").replaceChildren(...cases.map(resultRow));
        $("search-table").hidden = !cases.length;
        $("search-empty").hidden = cases.length > 0;
      } else $("search-body").replaceChildren();
    }

    async function search(q) {
      const mine = ++asked;
      show($("search-error"), "");
      $("search-form").setAttribute("aria-busy", "true");
      try {
        const data = await api(`/v1/agent/cases/search?q=${encodeURIComponent(q)}&limit=${LIMIT}`);
        if (mine !== asked) return;
        display({ q, cases: data.cases || [] });
        $("search-h").focus({ preventScroll: true });
      } catch (error) {
        if (mine === asked) show($("search-error"), error.message);
      } finally {
        if (mine === asked) $("search-form").removeAttribute("aria-busy");
      }
    }

    function clear() {
      asked += 1;
      $("search-form").removeAttribute("aria-busy");
      $("search-input").value = "";
      show($("search-error"), "");
      display(null);
    }

    $("search-form").addEventListener("submit", (event) => {
      event.preventDefault();
      // An empty box goes to the server too: its 400 says what a search needs.
      search($("search-input").value.trim());
    });

    $("search-clear").addEventListener("click", () => {
      clear();
      $("queue-h").focus({ preventScroll: true });
    });

    /** The case view's "Earlier cases of this customer": hidden when there are none. */
    function earlier(cases) {
      const list = cases || [];
      $("earlier").hidden = !list.length;
      $("earlier-list").replaceChildren(
        ...list.map((row) =>
          h(
            "li",
            { "data-case": row.id },
            h("a", { href: `#case-${row.id}`, text: `#${row.id} · ${row.title || "Case"}` }),
            " ",
            statusPill(row.status),
            h("span", { class: "muted small", text: ` ${when(row.created_at)}` }),
          ),
        ),
      );
    }

    return {
      focus: () => $("search-input").focus(),
      clear,
      earlier,
    };
  };
})();
