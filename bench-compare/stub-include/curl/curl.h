/* Empty stand-in for <curl/curl.h>.
 *
 * librdkafka 2.12.1 (rdkafka-sys 4.10.0) built with cmake and WITH_CURL=0 still includes
 * <curl/curl.h>: packaging/cmake/config.h.in has `#cmakedefine01 WITH_OAUTHBEARER_OIDC`
 * (always defined, as 0) while src/rdkafka_conf.c tests it with `#ifdef`. Nothing from curl
 * is used when OIDC is off, so an empty header is enough. scripts/bench-compare.sh builds
 * with CFLAGS=-I<this dir's parent>. */
