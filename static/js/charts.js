// Dashboard charts (Apache ECharts, vendored under static/vendor/echarts-6.1.0).
// Each chart container names the json_script holding its data:
//   <div class="xj-chart" data-chart="chart-recipients"></div>
//   <script id="chart-recipients" type="application/json">{"categories": [...], "series": [...]}</script>
// The Content-Security-Policy allows no inline scripts, so nothing is drawn from the template itself.
// Horizontal bars: the units (districts, towns, villages) read down the page, which also fits 390 px.
(function () {
  "use strict";
  if (typeof window.echarts === "undefined") {
    return;
  }
  var PALETTE = ["#0d6efd", "#20c997", "#fd7e14", "#6f42c1", "#dc3545", "#6c757d", "#198754",
    "#0dcaf0", "#ffc107", "#d63384", "#adb5bd", "#343a40"];

  function readData(id) {
    var node = document.getElementById(id);
    if (!node) {
      return null;
    }
    try {
      return JSON.parse(node.textContent);
    } catch (e) {
      return null;
    }
  }

  function height(data) {
    var rows = data.categories.length || 1;
    var perRow = data.stack ? 26 : Math.max(22, 12 * data.series.length + 8);
    return Math.max(220, 90 + rows * perRow);
  }

  function option(data) {
    var suffix = data.percent ? "%" : "";
    var targetMax = (data.targets || []).reduce(function (m, t) {
      return Math.max(m, t.value);
    }, 0);
    var series = data.series.map(function (s, i) {
      var item = {
        name: s.name,
        type: "bar",
        data: s.data,
        barMaxWidth: 22,
        emphasis: { focus: "series" },
      };
      if (data.stack) {
        item.stack = "total";
      }
      var target = data.targets && data.targets[i];
      if (target) {
        item.markLine = {
          symbol: "none",
          silent: true,
          lineStyle: { type: "dashed", color: PALETTE[i % PALETTE.length] },
          label: { formatter: target.value + "%", position: "end" },
          data: [{ xAxis: target.value }],
        };
      }
      return item;
    });
    return {
      color: PALETTE,
      animation: false,
      grid: { left: 8, right: 24, top: 40, bottom: 8, containLabel: true },
      legend: { type: "scroll", top: 0 },
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        valueFormatter: function (v) {
          return v === null || v === undefined ? "—" : v + suffix;
        },
      },
      xAxis: {
        type: "value",
        axisLabel: { formatter: "{value}" + suffix, hideOverlap: true },
        // A target line must be on the axis even when every bar is below it.
        max: targetMax ? function (extent) {
          return Math.ceil(Math.max(extent.max, targetMax) / 10) * 10;
        } : null,
      },
      yAxis: {
        type: "category",
        inverse: true,
        data: data.categories,
        axisLabel: { width: 96, overflow: "truncate" },
      },
      series: series,
    };
  }

  function draw(el) {
    var data = readData(el.getAttribute("data-chart"));
    if (!data) {
      return;
    }
    el.style.height = height(data) + "px";
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption(option(data));
    el.setAttribute("data-rendered", "1");
    if (typeof window.ResizeObserver !== "undefined") {
      new window.ResizeObserver(function () {
        chart.resize();
      }).observe(el);
    } else {
      window.addEventListener("resize", function () {
        chart.resize();
      });
    }
  }

  function start() {
    document.querySelectorAll("[data-chart]").forEach(draw);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
