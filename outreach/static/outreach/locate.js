// Fill the hidden latitude/longitude fields from the browser's location, only when the user asks.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-locate]").forEach(function (button) {
    button.addEventListener("click", function () {
      var form = button.closest("form");
      var status = form.querySelector("[data-locate-status]");
      if (!navigator.geolocation) { if (status) status.textContent = "此浏览器不支持定位，请填写地点。"; return; }
      if (status) status.textContent = "正在定位…";
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.querySelector("[name=latitude]").value = pos.coords.latitude.toFixed(6);
        form.querySelector("[name=longitude]").value = pos.coords.longitude.toFixed(6);
        if (status) status.textContent = "已获取位置（" + pos.coords.latitude.toFixed(4) + "，" + pos.coords.longitude.toFixed(4) + "）";
      }, function () {
        if (status) status.textContent = "未能获取位置，请填写地点。";
      }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
    });
  });
});
