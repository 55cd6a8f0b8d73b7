# Extra link dependencies of layer nn (included by veil_layer(nn) in cmake/layers.cmake).
target_link_libraries(veil_nn PUBLIC PkgConfig::ZLIB PkgConfig::PNG)
