/* Dashboard: draws the charts from the JSON the page embeds, again after each htmx refresh,
   and shows the custom date fields only when the custom period is chosen. */
(function () {
  "use strict";

  var charts = [];

  function money(value) {
    return Number(value).toLocaleString(undefined, { maximumFractionDigits: 0 });
  }

  function css(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function follow(urls) {
    // Clicking a bar opens the deals behind it, like every number on the page.
    return function (event, elements) {
      if (elements.length && urls[elements[0].index]) {
        window.location.href = urls[elements[0].index];
      }
    };
  }

  function hoverPointer(event, elements) {
    event.native.target.style.cursor = elements.length ? "pointer" : "default";
  }

  function build(kind, data) {
    var primary = css("--bs-primary") || "#0d6efd";
    var info = css("--bs-info") || "#0dcaf0";
    var success = css("--bs-success") || "#198754";
    var danger = css("--bs-danger") || "#dc3545";
    var common = {
      responsive: true,
      maintainAspectRatio: false,
      onHover: hoverPointer,
      plugins: { legend: { display: false } },
    };
    if (kind === "funnel") {
      return {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: [{ label: data.legend, data: data.reached, backgroundColor: primary, borderRadius: 4 }],
        },
        options: Object.assign({}, common, {
          indexAxis: "y",
          onClick: follow(data.urls),
          scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
        }),
      };
    }
    if (kind === "forecast") {
      var datasets = [
        { label: data.legend.pipeline, data: data.amount, backgroundColor: info, borderRadius: 4, order: 2 },
        { label: data.legend.weighted, data: data.weighted, backgroundColor: primary, borderRadius: 4, order: 1 },
      ];
      if (data.actual && data.actual.some(function (v) { return v !== null; })) {
        // Months gone by: what was sold; the months to come keep the pipeline expected to close.
        datasets.unshift({ label: data.legend.actual, data: data.actual, backgroundColor: success, borderRadius: 4, order: 1 });
      }
      if (data.target && data.target.length) {
        datasets.push({
          type: "line", label: data.legend.target, data: data.target, borderColor: danger,
          backgroundColor: danger, borderDash: [6, 4], pointRadius: 3, order: 0,
        });
      }
      return {
        type: "bar",
        data: { labels: data.labels, datasets: datasets },
        options: Object.assign({}, common, {
          onClick: follow(data.urls),
          plugins: {
            legend: { display: true, position: "bottom", labels: { boxWidth: 12 } },
            tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + money(c.parsed.y); } } },
          },
          scales: { y: { beginAtZero: true, ticks: { callback: money } } },
        }),
      };
    }
    return {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{ label: data.legend, data: data.values, backgroundColor: success, borderRadius: 4 }],
      },
      options: Object.assign({}, common, {
        onClick: follow(data.urls),
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: function (c) { return money(c.parsed.y); } } },
        },
        scales: { y: { beginAtZero: true, ticks: { callback: money } } },
      }),
    };
  }

  function drawCharts() {
    charts.forEach(function (chart) { chart.destroy(); });
    charts = [];
    var source = document.getElementById("dashboard-charts");
    if (!source || typeof Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var kind = canvas.dataset.chart;
      if (data[kind]) {
        charts.push(new Chart(canvas, build(kind, data[kind])));
      }
    });
  }

  function toggleCustomRange() {
    var period = document.getElementById("id_period");
    if (!period) {
      return;
    }
    var custom = period.value === "custom";
    document.querySelectorAll(".dashboard-custom-range").forEach(function (el) { el.hidden = !custom; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts();
    toggleCustomRange();
    var period = document.getElementById("id_period");
    if (period) {
      period.addEventListener("change", toggleCustomRange);
    }
  });
  // Choosing "custom range" waits for both dates and the Apply button instead of refreshing at once.
  document.addEventListener("htmx:confirm", function (event) {
    var form = event.detail.elt;
    if (!form || form.id !== "dashboard-filters") {
      return;
    }
    var trigger = event.detail.triggeringEvent;
    var custom = form.querySelector("#id_period").value === "custom";
    var start = form.querySelector("#id_start").value;
    var end = form.querySelector("#id_end").value;
    if (custom && trigger && trigger.type === "change" && !(start && end)) {
      event.preventDefault();
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "dashboard-body") {
      drawCharts();
    }
  });
  // Restoring a page from htmx's history cache brings back canvases without their charts.
  document.addEventListener("htmx:historyRestore", function () {
    drawCharts();
    toggleCustomRange();
  });
})();
