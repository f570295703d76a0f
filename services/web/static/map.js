// The map of the page's results (Leaflet). The list beside it says the same in text, and stays
// complete when the tiles cannot load; the map then says so.
(function () {
  "use strict";

  function draw() {
    var holder = document.getElementById("carte");
    var data = document.getElementById("carte-donnees");
    if (!holder || !data || holder.dataset.ready || typeof window.L === "undefined") return;
    holder.dataset.ready = "1";
    var points;
    try { points = JSON.parse(data.textContent || "[]"); } catch (e) { return; }
    if (!points.length) return;
    var status = document.getElementById("carte-etat");
    var map = window.L.map(holder, { scrollWheelZoom: false });
    var tiles = window.L.tileLayer(holder.dataset.tiles, {
      attribution: holder.dataset.attribution,
      maxZoom: 18
    });
    var failed = false;
    tiles.on("tileerror", function () {
      if (failed) return;
      failed = true;
      holder.classList.add("mi-map--no-tiles");
      if (status) status.textContent = "Le fond de carte n'a pas pu être chargé : les points restent placés, et la liste ci-dessous donne tous les résultats.";
    });
    tiles.addTo(map);
    var bounds = [];
    points.forEach(function (p) {
      var marker = window.L.circleMarker([p.lat, p.lng], { radius: 8, color: "#000091", weight: 2, fillOpacity: 0.6 });
      var popup = document.createElement("div");
      var link = document.createElement("a");
      link.href = p.url;
      link.textContent = p.name;
      popup.appendChild(link);
      if (p.place) {
        var where = document.createElement("p");
        where.textContent = p.place;
        popup.appendChild(where);
      }
      marker.bindPopup(popup);
      marker.addTo(map);
      bounds.push([p.lat, p.lng]);
    });
    if (bounds.length === 1) map.setView(bounds[0], 12);
    else map.fitBounds(bounds, { padding: [24, 24], maxZoom: 13 });
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
})();
