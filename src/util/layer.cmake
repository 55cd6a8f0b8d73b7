target_link_libraries(veil_util PUBLIC PkgConfig::SODIUM Threads::Threads)
