#include <QtTest>
class TestDemoData : public QObject { Q_OBJECT };
QTEST_GUILESS_MAIN(TestDemoData)
#include "tst_demodata.moc"
