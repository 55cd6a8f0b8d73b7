target_link_libraries(veil_ring PUBLIC PkgConfig::GMP)
