#pragma once
// One trial: stratified k-fold cross-validation of one configuration on the sweep's pool.
#include <filesystem>
#include <limits>

#include "emnist/sweep.hpp"
#include "emnist/sweep_run.hpp"
#include "experiments/cv_pool.hpp"

namespace emnist::sweep {

// Trains fold i (train on the other k - 1 parts, validate on part i) into trial_dir/fold<i>. A
// trial whose first fold scores below `prune_below` stops there (status "pruned"); one whose loss
// diverges stops too (status "failed"). Other errors propagate.
TrialResult cross_validate(const TrialPlan& plan, int folds, const CvPool& pool,
                           const std::filesystem::path& trial_dir,
                           double prune_below = -std::numeric_limits<double>::infinity());

// Fails (UserError) when a fold's training part would be smaller than one batch.
void check_fold_size(const TrialPlan& plan, int folds, const CvPool& pool);

}  // namespace emnist::sweep
