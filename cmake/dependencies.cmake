# Every third-party library Loa links, found once here. All come from Debian's packages, except
# libsrtp, which scripts/setup.sh builds from Debian's source package with OpenSSL.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(Boost 1.81 CONFIG REQUIRED COMPONENTS json)
find_package(spdlog REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(SQLite3 REQUIRED)
pkg_check_modules(GST REQUIRED IMPORTED_TARGET gstreamer-1.0 gstreamer-app-1.0 gstreamer-audio-1.0
    gstreamer-sdp-1.0)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(ICAL REQUIRED IMPORTED_TARGET libical)
pkg_check_modules(XLSXWRITER REQUIRED IMPORTED_TARGET xlsxwriter)

# The system's libsrtp2 (NSS) must never be what Loa links: take the OpenSSL build by full path.
find_library(LOA_LIBSRTP libsrtp2.a PATHS ${LOA_LIBSRTP_PREFIX}/lib NO_DEFAULT_PATH)
if(NOT LOA_LIBSRTP)
    message(FATAL_ERROR "libsrtp built with OpenSSL not found in ${LOA_LIBSRTP_PREFIX}: "
        "run scripts/setup.sh (or set LOA_LIBSRTP_PREFIX)")
endif()
add_library(loa_libsrtp STATIC IMPORTED GLOBAL)
set_target_properties(loa_libsrtp PROPERTIES IMPORTED_LOCATION ${LOA_LIBSRTP}
    INTERFACE_INCLUDE_DIRECTORIES ${LOA_LIBSRTP_PREFIX}/include
    INTERFACE_LINK_LIBRARIES "OpenSSL::Crypto;${CMAKE_DL_LIBS};Threads::Threads")
