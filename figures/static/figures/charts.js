// The statistics page's charts (ECharts from our own static files); every chart has its table beside it.
document.addEventListener("DOMContentLoaded", function () {
  var source = document.getElementById("figures-data");
  if (!source) return;
  var data = JSON.parse(source.textContent || "{}");
  if (typeof echarts === "undefined") {
    document.querySelectorAll(".figures-chart").forEach(function (el) { el.textContent = "图表组件未安装（请运行 make install），请看右侧表格。"; });
    return;
  }
  var charts = [];
  function bar(el, rows, horizontal) {
    var labels = rows.map(function (r) { return r.label; });
    var values = rows.map(function (r) { return r.count; });
    var chart = echarts.init(el);
    var category = {type: "category", data: labels, axisLabel: {interval: 0, fontSize: 11}};
    var value = {type: "value", minInterval: 1};
    chart.setOption({
      tooltip: {trigger: "axis"}, grid: {left: horizontal ? 140 : 40, right: 20, top: 20, bottom: horizontal ? 20 : 60},
      xAxis: horizontal ? value : Object.assign({}, category, {axisLabel: {interval: 0, rotate: labels.length > 6 ? 30 : 0}}),
      yAxis: horizontal ? Object.assign({}, category, {inverse: true}) : value,
      series: [{type: "bar", data: values, itemStyle: {color: "#2f6fab"}, label: {show: true, position: horizontal ? "right" : "top"}}]
    });
    return chart;
  }
  function pie(el, rows) {
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: {trigger: "item", formatter: "{b}：{c}（{d}%）"},
      series: [{type: "pie", radius: ["35%", "65%"], data: rows.filter(function (r) { return r.count; })
        .map(function (r) { return {name: r.label, value: r.count}; }), label: {formatter: "{b} {c}"}}]
    });
    return chart;
  }
  function line(el, rows) {
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: {trigger: "axis"}, grid: {left: 40, right: 20, top: 20, bottom: 40},
      xAxis: {type: "category", data: rows.map(function (r) { return r.label; })},
      yAxis: {type: "value", minInterval: 1},
      series: [{type: "line", data: rows.map(function (r) { return r.count; }), areaStyle: {opacity: 0.15}, smooth: true}]
    });
    return chart;
  }
  var PIE = {sex: 1, identity: 1, exit: 1, method: 1};
  document.querySelectorAll(".figures-chart").forEach(function (el) {
    var kind = el.dataset.chart;
    if (kind === "trend") charts.push(line(el, data.trend || []));
    else if (kind === "areas") charts.push(bar(el, data.areas || [], (data.areas || []).length > 8));
    else if (kind === "breakdown") {
      var b = (data.breakdowns || [])[parseInt(el.dataset.index, 10)];
      if (!b) return;
      var rows = b.rows.slice(0, 30);
      charts.push(PIE[b.dimension] ? pie(el, rows) : bar(el, rows, rows.length > 8));
    }
  });
  // The origin map: the counties of the province, merged from the cities' boundary files (network app).
  var mapEl = document.getElementById("figures-map");
  if (mapEl && echarts.getMap) {
    var features = [];
    (mapEl.dataset.maps || "").split(",").forEach(function (name) {
      var m = name && echarts.getMap(name);
      var geo = m && (m.geoJSON || m.geoJson);
      if (geo && geo.features) features = features.concat(geo.features);
    });
    if (features.length) {
      echarts.registerMap("figures-origin", {type: "FeatureCollection", features: features});
      var values = JSON.parse(document.getElementById("figures-map-values").textContent || "[]");
      var max = values.reduce(function (m, v) { return Math.max(m, v.value); }, 1);
      var chart = echarts.init(mapEl);
      chart.setOption({
        tooltip: {trigger: "item", formatter: function (p) { return p.name + "：" + (p.value || 0); }},
        visualMap: {min: 0, max: max, left: 10, bottom: 10, text: ["多", "少"], calculable: true,
                    inRange: {color: ["#eef4fb", "#2f6fab", "#123c69"]}},
        series: [{type: "map", map: "figures-origin", roam: true, data: values,
                  label: {show: false}, itemStyle: {borderColor: "#8a99a8"}}]
      });
      charts.push(chart);
    } else {
      mapEl.textContent = "地图数据未安装（请运行 make install），请看“户籍省份”“户籍地市”表。";
    }
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
});
