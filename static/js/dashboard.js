/* The dashboard's charts (ECharts): reads the translated data the page put in #dashboard-data
   and draws each [data-chart] container; the numbers are also in the table under each chart. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var text = data.text || {};
  var lang = document.documentElement.lang || "zh-hans";
  var number = new Intl.NumberFormat(lang === "zh-hans" ? "zh-CN" : lang, { maximumFractionDigits: 0 });
  var yuan = function (v) { return "¥" + number.format(v); };
  var colors = { blue: "#0b5cab", sky: "#72a5e0", green: "#1b7f3b", amber: "#e0a030", orange: "#b25e09", red: "#c62828", grey: "#9aa5b1" };
  var font = { fontFamily: getComputedStyle(document.body).fontFamily };
  var charts = [];

  function grid(extra) {
    return Object.assign({ left: 8, right: 16, top: 36, bottom: 8, containLabel: true }, extra || {});
  }

  function heatmap(d, tooltip) {
    var max = Math.max.apply(null, d.cells.map(function (c) { return c[2]; }).concat([1]));
    return {
      tooltip: { formatter: tooltip },
      grid: grid({ top: 8, left: d.y_name ? 28 : 8, bottom: d.x_name ? 32 : 8 }),
      xAxis: { type: "category", data: d.x, name: d.x_name || "", nameLocation: "middle", nameGap: 28, splitArea: { show: true } },
      yAxis: { type: "category", data: d.y, name: d.y_name || "", nameLocation: "middle", nameGap: 36, nameRotate: 90, splitArea: { show: true } },
      visualMap: { min: 0, max: max, dimension: 2, show: false, inRange: { color: ["#eef4fb", "#9fc3ec", "#0b5cab"] } },
      series: [{
        type: "heatmap", data: d.cells,
        label: { show: true, formatter: function (p) { return number.format(p.value[2]); } },
        emphasis: { itemStyle: { borderColor: "#1f2933", borderWidth: 1 } }
      }]
    };
  }

  var builders = {
    segments: function () {
      var d = data.segments;
      return {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: function (v) { return number.format(v); } },
        grid: grid({ top: 8 }),
        xAxis: { type: "value", axisLabel: { formatter: function (v) { return number.format(v); } } },
        yAxis: { type: "category", data: d.labels, inverse: true },
        series: [{ name: text.customers, type: "bar", data: d.counts, itemStyle: { color: colors.blue },
          label: { show: true, position: "right", formatter: function (p) { return number.format(p.value); } } }]
      };
    },
    nine: function () {
      var d = data.nine;
      return heatmap(d, function (p) {
        return d.y[p.value[1]] + " · " + d.x[p.value[0]] + "<br>" + text.customers + ": " +
          number.format(p.value[2]) + "<br>" + text.future_value + ": " + yuan(p.value[3]);
      });
    },
    rf: function () {
      var d = data.rf;
      return heatmap(d, function (p) {
        return d.y[p.value[1]] + " · " + d.x[p.value[0]] + "<br>" + text.customers + ": " + number.format(p.value[2]);
      });
    },
    trend: function () {
      var d = data.trend;
      var palette = { active: colors.green, at_risk: colors.amber, lost: colors.red };
      return {
        tooltip: { trigger: "axis", valueFormatter: function (v) { return number.format(v); } },
        legend: { top: 0 },
        grid: grid(),
        xAxis: { type: "category", data: d.months },
        yAxis: { type: "value", axisLabel: { formatter: function (v) { return number.format(v); } } },
        series: d.series.map(function (s) {
          return { name: s.name, type: "bar", stack: "status", data: s.data, itemStyle: { color: palette[s.code] } };
        })
      };
    },
    funnel: function () {
      var d = data.funnel;
      var ramp = [colors.blue, colors.sky, colors.amber, colors.green];
      return {
        tooltip: {
          trigger: "axis", axisPointer: { type: "shadow" },
          formatter: function (items) {
            var lines = [items[0].axisValueLabel];
            items.forEach(function (item, i) {
              var line = item.marker + item.seriesName + ": " + number.format(item.value);
              var before = i > 0 ? items[i - 1].value : 0;
              if (before) { line += " (" + Math.round(100 * item.value / before) + "% " + text.conversion + ")"; }
              lines.push(line);
            });
            return lines.join("<br>");
          }
        },
        legend: { top: 0 },
        grid: grid(),
        xAxis: { type: "category", data: d.months },
        yAxis: { type: "value", axisLabel: { formatter: function (v) { return number.format(v); } } },
        series: d.series.map(function (s, i) {
          return { name: s.name, type: "bar", data: s.data, itemStyle: { color: ramp[i] } };
        })
      };
    },
    work: function () {
      var d = data.work;
      var bar = function (name, values, color, axis, stack) {
        return { name: name, type: "bar", stack: stack, data: values, xAxisIndex: axis, yAxisIndex: axis, itemStyle: { color: color } };
      };
      return {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: function (v) { return number.format(v); } },
        legend: { top: 0 },
        grid: [grid({ right: "52%", top: 64 }), grid({ left: "52%", top: 64 })],
        xAxis: [
          { type: "value", gridIndex: 0, axisLabel: { hideOverlap: true } },
          { type: "value", gridIndex: 1, axisLabel: { hideOverlap: true } }
        ],
        yAxis: [
          { type: "category", gridIndex: 0, data: d.names, inverse: true },
          { type: "category", gridIndex: 1, data: d.names, inverse: true, axisLabel: { show: false } }
        ],
        series: [
          bar(text.open, d.open, colors.blue, 0, "open"),
          bar(text.overdue, d.overdue, colors.orange, 0, "open"),
          bar(text.on_time, d.on_time, colors.green, 1, "closed"),
          bar(text.late, d.late, colors.amber, 1, "closed"),
          bar(text.expired, d.expired, colors.red, 1, "closed")
        ]
      };
    }
  };

  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var build = builders[element.dataset.chart];
    if (!build || !data[element.dataset.chart]) { return; }
    var chart = echarts.init(element, null, { renderer: "canvas" });
    var option = build();
    option.textStyle = font;
    option.animation = false;
    chart.setOption(option);
    element.dataset.rendered = "true";
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (chart) { chart.resize(); }); });
}());
