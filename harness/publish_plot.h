// gnuplot figures for `fabricbench publish`: data (.dat) and script (.gp) are kept beside the
// PNG and SVG, so a figure can be reproduced without the tool.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "harness/cmd_publish.h"

namespace fb::pub {

struct Series {
  std::string title;
  std::vector<std::pair<double, double>> xy;
};

struct Plot {
  std::string name;  // file stem under plots/
  std::string title, xlabel, ylabel;
  bool logx = true, logy = false;
  bool bytes_x = false;  // x axis in bytes: binary prefixes
  std::vector<Series> series;
};

// True when `gnuplot` runs with the pngcairo terminal.
bool have_gnuplot(const std::string& gnuplot);

// Writes DIR/NAME.{dat,gp}, runs gnuplot into temp names and renames them to NAME.{png,svg}
// (listed in rep.written), so a failed run never leaves half a PNG. Throws on gnuplot failure.
void render_plot(const Plot& p, const std::string& dir, const std::string& gnuplot,
                 PublishReport& rep);

}  // namespace fb::pub
