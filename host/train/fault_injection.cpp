#include "train/fault_injection.hpp"

#include <fmt/format.h>

#include <csignal>
#include <cstdlib>
#include <limits>
#include <string>

#include "emnist/error.hpp"
#include "emnist/model.hpp"

namespace emnist {
namespace {

FaultPlan parse(const std::string& text) {
  const auto bad = [&] {
    return UserError(fmt::format(
        "EMNIST_FAULT={}: not a fault (use sigint@step=N, sigterm@step=N, sigkill@checkpoint=K or "
        "nan@step=N, or unset it)",
        text));
  };
  const size_t at = text.find('@'), eq = text.find('=');
  if (at == std::string::npos || eq == std::string::npos || eq < at) throw bad();
  const std::string kind = text.substr(0, at), where = text.substr(at + 1, eq - at - 1);
  FaultPlan plan;
  if (kind == "sigint" && where == "step")
    plan.kind = FaultPlan::Kind::sigint;
  else if (kind == "sigterm" && where == "step")
    plan.kind = FaultPlan::Kind::sigterm;
  else if (kind == "sigkill" && where == "checkpoint")
    plan.kind = FaultPlan::Kind::sigkill;
  else if (kind == "nan" && where == "step")
    plan.kind = FaultPlan::Kind::nan;
  else
    throw bad();
  const std::string number = text.substr(eq + 1);
  char* end = nullptr;
  plan.at = std::strtoll(number.c_str(), &end, 10);
  if (number.empty() || *end != '\0' || plan.at < 1) throw bad();
  return plan;
}

}  // namespace

const FaultPlan& fault_plan() {
  static const FaultPlan plan = [] {
    const char* text = std::getenv("EMNIST_FAULT");
    return text == nullptr || *text == '\0' ? FaultPlan{} : parse(text);
  }();
  return plan;
}

void inject_after_step(int64_t steps, Model& model) {
  const FaultPlan& fault = fault_plan();
  if (steps != fault.at) return;
  if (fault.kind == FaultPlan::Kind::sigint) std::raise(SIGINT);
  if (fault.kind == FaultPlan::Kind::sigterm) std::raise(SIGTERM);
  if (fault.kind == FaultPlan::Kind::nan)
    model.backend().fill(model.params(), std::numeric_limits<float>::quiet_NaN());
}

std::function<void()> checkpoint_write_fault() {
  static int64_t writes = 0;  // checkpoint writes of this process
  const FaultPlan& fault = fault_plan();
  const bool kill_here = fault.kind == FaultPlan::Kind::sigkill && ++writes == fault.at;
  return [kill_here] {
    if (kill_here) std::raise(SIGKILL);
  };
}

}  // namespace emnist
