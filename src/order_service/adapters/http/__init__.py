"""Services this one calls over HTTP: the geocoder the order page's map is drawn from."""
