// The order page's map: the shipping address marked on the shop's tiles.
// The page puts the stored point and the tile server in data- attributes; the browser
// never asks a geocoder. The map and marker stay reachable from the element (.map,
// .marker) for scripts and tests that want to read them.
(function () {
  "use strict";
  var element = document.getElementById("order-map");
  if (!element || !window.L) {
    return;
  }
  var point = L.latLng(Number(element.dataset.latitude), Number(element.dataset.longitude));
  // Leaflet puts the credit in as HTML; the setting is plain text.
  var credit = document.createElement("span");
  credit.textContent = element.dataset.attribution || "";
  var map = L.map(element, { scrollWheelZoom: false }).setView(point, 16);
  L.tileLayer(element.dataset.tileUrl, {
    maxZoom: 19,
    attribution: credit.innerHTML,
    // The page sends no Referer to other sites, but tile servers such as OpenStreetMap's
    // refuse tiles without one: they get this site's origin, never the order's address.
    referrerPolicy: "origin"
  }).addTo(map);
  var marker = L.marker(point, { title: "Shipping address", alt: "Shipping address" }).addTo(map);
  element.map = map;
  element.marker = marker;
})();
