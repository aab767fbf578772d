// Draw the city's counties (registered by the boundary file) with the network's points; no CDN, no tiles.
document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("network-map");
  if (!el) return;
  var points = JSON.parse(document.getElementById("network-points").textContent || "[]");
  if (typeof echarts === "undefined") { el.textContent = "地图组件未安装（请运行 make install）。"; return; }
  var mapName = el.dataset.map;
  var hasMap = mapName && echarts.getMap && echarts.getMap(mapName);
  var chart = echarts.init(el);
  var kinds = Array.from(new Set(points.map(function (p) { return p.kind; })));
  var colors = {"临时救助点": "#c0392b", "求助引导点": "#2471a3", "重点区域": "#d68910"};
  var series = kinds.map(function (kind) {
    return {name: kind, type: "scatter", coordinateSystem: hasMap ? "geo" : "cartesian2d", symbolSize: 12,
            itemStyle: {color: colors[kind] || "#555"},
            data: points.filter(function (p) { return p.kind === kind; })};
  });
  var option = {tooltip: {formatter: function (p) { return p.data ? p.data.name + "<br>" + (p.data.address || "") : p.name; }},
                legend: {top: 0}, series: series};
  if (hasMap) {
    option.geo = {map: mapName, roam: true, label: {show: true, fontSize: 11},
                  itemStyle: {areaColor: "#f4f6f8", borderColor: "#8a99a8"}};
  } else {
    option.xAxis = {type: "value", scale: true, name: "经度"}; option.yAxis = {type: "value", scale: true, name: "纬度"};
  }
  chart.setOption(option);
  window.addEventListener("resize", function () { chart.resize(); });
});
