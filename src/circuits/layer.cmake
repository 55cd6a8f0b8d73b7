# Remez and interpolation use MPFR (on GMP) for their multiple-precision arithmetic.
target_include_directories(veil_circuits PUBLIC ${MPFR_INCLUDE})
target_link_libraries(veil_circuits PUBLIC ${MPFR_LIB} PkgConfig::GMP)
