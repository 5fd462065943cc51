// Placeholder main while the library lands; replaced by the full command line.
#include "emnist/config.hpp"
int main() { return emnist::to_toml(emnist::Config{}).empty() ? 1 : 0; }
