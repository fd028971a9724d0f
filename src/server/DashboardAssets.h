// DashboardAssets.h — the dashboard's files (web/*), compiled into the
// binary at build time by src/server/DashboardEmbed.cmake.
//
// Every asset is a flat name ("index.html", "app.js", "style.css"), its
// Content-Type by extension, and its bytes (size excludes the trailing NUL
// the generator adds). The list is sorted by name and never empty when the
// web/ folder is not.
#pragma once

#include <cstddef>
#include <span>

namespace ramp::server {

struct DashboardAsset {
  const char* name;
  const char* contentType;
  const unsigned char* data;
  std::size_t size;
};

std::span<const DashboardAsset> dashboardAssets();

}  // namespace ramp::server
