"""The order page's map: the shipping address marked on tiles from the shop's tile server.

The page only reads the place stored for the address (geocoding/); the browser loads
Leaflet from this service and tiles from the tile server, and never talks to the
geocoder. Without a tile server, a geocoder or a known place, there is no map: the page
shows the address and its OpenStreetMap link, and loads nothing from elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from order_service.domain.values import Address
from order_service.geocoding.locator import AddressLocator
from order_service.settings import Settings, tile_source


@dataclass(frozen=True, slots=True)
class MapTiles:
    """Where the map's tiles come from, and the credit they need."""

    url_template: str
    attribution: str

    @property
    def source(self) -> str:
        """What the Content-Security-Policy names to let the page load the tiles."""
        return tile_source(self.url_template)

    @classmethod
    def of(cls, settings: Settings) -> MapTiles | None:
        """The shop's map tiles; None without a tile server, or without a geocoder to
        place addresses on them."""
        if not settings.map_tile_url or not settings.geocoder_url:
            return None
        return cls(settings.map_tile_url, settings.map_attribution)


@dataclass(frozen=True, slots=True)
class OrderMap:
    """What the page's map shows: the tiles, and the point to mark."""

    tiles: MapTiles
    latitude: float
    longitude: float


def order_map(request: Request, tiles: MapTiles | None, address: Address) -> OrderMap | None:
    """The map of `address`, if there is a map and the address's place is known.

    An address not known yet is looked up in the background for a later view.
    """
    locator: AddressLocator | None = request.app.state.address_locator
    if tiles is None or locator is None:
        return None
    point = locator.point_of(address)
    if point is None:
        return None
    return OrderMap(tiles, point.latitude, point.longitude)
