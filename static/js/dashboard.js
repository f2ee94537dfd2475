/* Draws the dashboard from /api/v1/dashboard/summary/: a chart and a table of the same figures per section. */
(function () {
  "use strict";
  const form = document.getElementById("dashboard-filters");
  if (!form) { return; }
  const labels = JSON.parse(document.getElementById("dashboard-labels").textContent);
  const status = document.getElementById("dashboard-status");
  const errorBox = document.getElementById("dashboard-error");
  const charts = new Map();

  function pick(data, path) {
    return path.split(".").reduce((value, key) => (value == null ? undefined : value[key]), data);
  }

  function labelFor(kind, key) {
    return (kind && labels[kind] && labels[kind][key]) || key;
  }

  function fillTable(tbody, rows) {
    tbody.replaceChildren();
    for (const [name, value] of rows) {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = name;
      const td = document.createElement("td");
      td.className = "text-end";
      td.textContent = String(value);
      tr.append(th, td);
      tbody.append(tr);
    }
  }

  function render(data) {
    document.querySelectorAll("[data-kpi]").forEach((el) => {
      const value = pick(data, el.dataset.kpi);
      if (value && typeof value === "object") {
        el.textContent = value.count ? `${value.median_days ?? "–"} / ${value.p90_days ?? "–"}` : "–";
      } else {
        el.textContent = value == null ? "–" : String(value);
      }
    });
    document.querySelectorAll("[data-chart]").forEach((section) => {
      const figures = pick(data, section.dataset.chart) || {};
      const rows = Object.entries(figures).map(([key, value]) => [labelFor(section.dataset.labels, key), value]);
      fillTable(section.querySelector("tbody"), rows);
      const canvas = section.querySelector("canvas");
      if (charts.has(canvas)) { charts.get(canvas).destroy(); }
      if (window.Chart) {
        charts.set(canvas, new window.Chart(canvas, {
          type: section.dataset.kind,
          data: { labels: rows.map((r) => r[0]), datasets: [{ label: section.querySelector("h2").textContent, data: rows.map((r) => r[1]) }] },
          options: { responsive: true, animation: false, plugins: { legend: { display: section.dataset.kind === "doughnut" } } },
        }));
      }
    });
    document.querySelectorAll("[data-table]").forEach((section) => {
      const rows = (pick(data, section.dataset.table) || []).map((row) => [`${row.name} (${row.code})`, row.count]);
      fillTable(section.querySelector("tbody"), rows);
    });
    status.textContent = `Figures for ${data.period.start} to ${data.period.end} loaded.`;
  }

  async function load() {
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) { if (value) { params.append(key, value); } }
    errorBox.classList.add("d-none");
    const response = await fetch(`${form.dataset.apiUrl}?${params}`, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    const body = await response.json();
    if (!response.ok) {
      errorBox.textContent = Object.entries(body).map(([field, messages]) => `${field}: ${[].concat(messages).join(" ")}`).join("; ");
      errorBox.classList.remove("d-none");
      return;
    }
    document.body.dataset.dashboardLoaded = "true";
    render(body);
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  load();
})();
