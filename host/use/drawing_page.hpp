#pragma once
// GET /'s page: draw a character, see the model's top 5 and the 28x28 image it saw.
#include <string_view>

namespace emnist {

std::string_view drawing_page();

}  // namespace emnist
