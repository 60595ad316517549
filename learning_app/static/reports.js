/* 参学统计: draws the dashboard's two charts from /api/reports/participation.
   The page's tiles and tables are server-rendered; this only adds the charts. */
(function () {
  "use strict";

  var wrap = document.getElementById("report-charts");
  if (!wrap || typeof window.echarts === "undefined") { return; }

  var RATES = [
    ["participation", "参学率", "#b71c1c"],
    ["attainment", "学时达标率", "#2e7d32"],
    ["test_rate", "参考率", "#1565c0"],
    ["pass_rate", "合格率", "#e65100"]
  ];
  var FONT = '-apple-system, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';

  // A share in 0..1 as a percentage with one decimal; null stays null (a gap).
  function pct(value) {
    return value === null || value === undefined ? null : Math.round(value * 1000) / 10;
  }
  function show(value) {
    return value === null || value === undefined ? "—" : value.toFixed(1) + "%";
  }
  // The tooltip is built as DOM nodes, never as an HTML string: organization
  // names come from roster imports (a township admin names their own
  // organization), and ECharts puts a string formatter's result into innerHTML.
  // Nodes also keep ECharts' own marker HTML (inline style attributes, which the
  // app's CSP refuses) out of the page.
  function element(tag, className, text) {
    var node = document.createElement(tag);
    node.className = className;
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function tooltip(params) {
    var list = Array.isArray(params) ? params : [params];
    var box = element("div", "chart-tip");
    box.appendChild(element("div", "chart-tip-name", String(list[0].name)));
    list.forEach(function (p) {
      var row = element("div", "chart-tip-row");
      var dot = element("span", "chart-tip-dot");
      dot.style.backgroundColor = typeof p.color === "string" ? p.color : "";  // CSSOM, not markup
      row.appendChild(dot);
      row.appendChild(document.createTextNode(p.seriesName + "：" + show(p.value)));
      box.appendChild(row);
    });
    return box;
  }
  function percentAxis() {
    return { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } };
  }

  var charts = [];

  function drawChildren(el, children) {
    // Tall enough for four bars per organization; names wrap on the y axis.
    el.style.height = Math.max(240, children.length * 64 + 90) + "px";
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      textStyle: { fontFamily: FONT },
      animation: false,
      legend: { top: 0, itemWidth: 14, itemHeight: 10 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: tooltip,
                 confine: true },
      grid: { left: 4, right: 40, top: 50, bottom: 8, containLabel: true },
      xAxis: percentAxis(),
      yAxis: {
        type: "category", inverse: true,
        data: children.map(function (c) { return c.name; }),
        axisLabel: { width: 84, overflow: "break", lineHeight: 15, fontSize: 12 }
      },
      series: RATES.map(function (r) {
        return {
          type: "bar", name: r[1], itemStyle: { color: r[2] }, barMaxWidth: 12,
          label: { show: true, position: "right", fontSize: 10,
                   formatter: function (p) { return show(p.value); } },
          data: children.map(function (c) { return pct(c.figures[r[0]]); })
        };
      })
    });
    charts.push(chart);
  }

  function drawMonths(el, months) {
    el.style.height = "280px";
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      textStyle: { fontFamily: FONT },
      animation: false,
      legend: { top: 0 },
      tooltip: { trigger: "axis", formatter: tooltip, confine: true },
      grid: { left: 4, right: 16, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "category", boundaryGap: months.length < 2,
               data: months.map(function (m) { return m.label; }),
               axisLabel: { formatter: function (v) { return v.replace(/^\d{4}年/, ""); } } },
      yAxis: percentAxis(),
      series: RATES.slice(0, 2).map(function (r) {
        return {
          type: "line", name: r[1], itemStyle: { color: r[2] }, lineStyle: { color: r[2] },
          connectNulls: false, symbolSize: 7,
          data: months.map(function (m) { return pct(m.figures[r[0]]); })
        };
      })
    });
    charts.push(chart);
  }

  fetch(wrap.getAttribute("data-api"), { credentials: "same-origin",
                                         headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    })
    .then(function (data) {
      var fallback = wrap.querySelector(".chart-fallback");
      if (fallback) { fallback.hidden = true; }
      wrap.setAttribute("data-state", "drawing");  // shows the chart cards: they need a size
      var children = document.getElementById("chart-children");
      if (children && data.children.length) { drawChildren(children, data.children); }
      var months = document.getElementById("chart-months");
      if (months && data.months.length) { drawMonths(months, data.months); }
      wrap.setAttribute("data-state", "drawn");
    })
    .catch(function () {
      var fallback = wrap.querySelector(".chart-fallback");
      if (fallback) { fallback.textContent = "图表数据暂时无法读取；各项数字见本页表格。"; }
      wrap.setAttribute("data-state", "failed");
    });

  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
