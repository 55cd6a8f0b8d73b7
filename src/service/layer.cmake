# Extra link dependencies of layer service: libmicrohttpd (server) and libcurl (client library).
target_link_libraries(veil_service PUBLIC PkgConfig::MHD PkgConfig::CURL)
