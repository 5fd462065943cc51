#include <catch2/catch.hpp>

#include "emnist/metrics.hpp"
#include "emnist/report_files.hpp"

using namespace emnist;

namespace {

// Rows true, columns predicted. Class 2 is never true but predicted once: precision 0/1, recall
// 0/0.
const std::vector<int64_t> kConfusion{5, 1, 0,  //
                                      2, 3, 1,  //
                                      0, 0, 0};

}  // namespace

TEST_CASE("metrics: classification report against hand-computed values", "[metrics]") {
  const ClassificationReport r = classification_report(kConfusion, 3);
  // Column sums (predicted): 7, 4, 1. Row sums (support): 6, 6, 0.
  CHECK(r.classes[0].precision == Approx(5.0 / 7.0));
  CHECK(r.classes[0].recall == Approx(5.0 / 6.0));
  CHECK(r.classes[0].f1 == Approx(2 * (5.0 / 7) * (5.0 / 6) / (5.0 / 7 + 5.0 / 6)));
  CHECK(r.classes[0].support == 6);
  CHECK(r.classes[1].precision == Approx(0.75));
  CHECK(r.classes[1].recall == Approx(0.5));
  CHECK(r.classes[1].f1 == Approx(0.6));
  CHECK(r.classes[2].precision == 0.0);
  CHECK(r.classes[2].recall == 0.0);  // zero_division = 0
  CHECK(r.classes[2].f1 == 0.0);
  CHECK(r.classes[2].support == 0);
  CHECK(r.accuracy == Approx(8.0 / 12.0));
  CHECK(r.total == 12);
  CHECK(r.macro_avg.precision == Approx((5.0 / 7 + 0.75 + 0) / 3));
  CHECK(r.macro_avg.recall == Approx((5.0 / 6 + 0.5 + 0) / 3));
  CHECK(r.macro_avg.f1 == Approx((10.0 / 13 + 0.6 + 0) / 3));
  CHECK(r.weighted_avg.precision == Approx((6 * 5.0 / 7 + 6 * 0.75) / 12));
  CHECK(r.weighted_avg.recall == Approx((6 * 5.0 / 6 + 6 * 0.5) / 12));
  CHECK(r.weighted_avg.f1 == Approx((6 * 10.0 / 13 + 6 * 0.6) / 12));
  CHECK(r.macro_avg.support == 12);
  CHECK(r.weighted_avg.support == 12);
}

TEST_CASE("metrics: an empty matrix gives zeros, not NaN", "[metrics]") {
  const ClassificationReport r = classification_report(std::vector<int64_t>(4, 0), 2);
  CHECK(r.accuracy == 0.0);
  CHECK(r.weighted_avg.f1 == 0.0);
  CHECK(r.macro_avg.precision == 0.0);
}

TEST_CASE("metrics: report and confusion CSV files", "[metrics]") {
  const std::vector<std::string> names{"A", "b", "x,y"};
  CHECK(report_csv(classification_report(kConfusion, 3), names) ==
        "class,precision,recall,f1,support\n"
        "A,0.714286,0.833333,0.769231,6\n"
        "b,0.750000,0.500000,0.600000,6\n"
        "\"x,y\",0.000000,0.000000,0.000000,0\n"
        "accuracy,,,0.666667,12\n"
        "macro avg,0.488095,0.444444,0.456410,12\n"
        "weighted avg,0.732143,0.666667,0.684615,12\n");
  CHECK(confusion_csv(kConfusion, names) ==
        "true\\predicted,A,b,\"x,y\"\n"
        "A,5,1,0\n"
        "b,2,3,1\n"
        "\"x,y\",0,0,0\n");
  CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
}

TEST_CASE("metrics: top-3 predictions by logit, ties to the lower class", "[metrics]") {
  const float logits[] = {1.0f, 3.0f, 3.0f, -1.0f, 2.0f};
  const float probs[] = {0.1f, 0.3f, 0.3f, 0.05f, 0.25f};
  const Prediction p = rank_prediction(17, 4, logits, probs, 5);
  CHECK(p.index == 17);
  CHECK(p.truth == 4);
  CHECK(p.predicted() == 1);
  CHECK(p.top == std::array<int32_t, 3>{1, 2, 4});
  CHECK(p.prob == std::array<float, 3>{0.3f, 0.3f, 0.25f});
  CHECK(predictions_csv({p}, {"a", "b", "c", "d", "e"}) ==
        "index,true,predicted,top1,p1,top2,p2,top3,p3\n"
        "17,e,b,b,0.300000,c,0.300000,e,0.250000\n");

  const float two[] = {0.5f, 0.25f};
  const Prediction q = rank_prediction(0, 0, two, two, 2);
  CHECK(q.k == 2);
  CHECK(predictions_csv({q}, {"a", "b"}) ==
        "index,true,predicted,top1,p1,top2,p2,top3,p3\n0,a,a,a,0.500000,b,0.250000,,\n");
}

TEST_CASE("metrics: metrics.csv rows, empty fields where there is no validation", "[metrics]") {
  EpochRecord e;
  e.epoch = 1;
  e.lr = 0.001;
  e.train_loss = 0.5;
  e.train_accuracy = 0.75;
  e.val_loss = std::numeric_limits<double>::quiet_NaN();
  e.val_accuracy = std::numeric_limits<double>::quiet_NaN();
  e.seconds = 1.5;
  e.samples_per_second = 1000;
  CHECK(metrics_csv({e}) ==
        "epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,seconds,samples_per_second,"
        "val_balanced_accuracy,val_macro_f1\n"
        "1,0.001,0.500000,0.750000,,,1.500,1000.0,,\n");
  e.val_loss = 0.25;
  e.val_accuracy = 0.875;
  e.val_balanced_accuracy = 0.8;
  e.val_macro_f1 = 0.7;
  CHECK(metrics_csv({e}).substr(metrics_csv({e}).find('\n') + 1) ==
        "1,0.001,0.500000,0.750000,0.250000,0.875000,1.500,1000.0,0.800000,0.700000\n");
}
