package dev.fence.syncfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import dev.fence.core.FenceStatus;
import org.junit.jupiter.api.Test;

/**
 * A driver fence whose name hooks return null or throw. Fence.describe() shows a placeholder
 * for them ("describing never fails"), but SyncFile.info() failed with a NullPointerException
 * from the FenceInfo record inside the library (or with the hook's exception), and name()
 * built "null-null..." or failed likewise. Both are diagnostics: they now show the same kind of
 * placeholder, naming the hook.
 */
class SyncFileBadNameHookTest {

    static final class NullNames extends Fence {
        NullNames() {
            super(Fence.allocateContexts(1), 7);
        }

        @Override public String driverName() { return null; }
        @Override public String timelineName() { return null; }
    }

    static final class ThrowingNames extends Fence {
        ThrowingNames() {
            super(Fence.allocateContexts(1), 8);
        }

        @Override public String driverName() { throw new IllegalStateException("driver unloaded"); }
        @Override public String timelineName() { throw new IllegalStateException("ring gone"); }
    }

    /** A torn-down driver: its classes fail to load, an Error rather than an exception. */
    static final class UnloadedDriver extends Fence {
        UnloadedDriver() {
            super(Fence.allocateContexts(1), 9);
        }

        @Override public String driverName() { throw new NoClassDefFoundError("driver unloaded"); }
        @Override public String timelineName() { throw new NoClassDefFoundError("ring gone"); }
    }

    /** As Fence.describe() since the twenty-second session: an Error from a name hook too. */
    @Test
    void infoAndNameWithNameHooksThrowingErrors() {
        Fence f = new UnloadedDriver();
        try (SyncFile file = SyncFile.create(f)) {
            FenceInfo fi = file.info().fences().get(0);
            assertTrue(fi.timelineName().contains("ring gone"), fi.timelineName());
            assertTrue(fi.driverName().contains("driver unloaded"), fi.driverName());
            assertTrue(file.name().contains("driver unloaded"), file.name());
            assertTrue(f.describe().contains("driver unloaded"), f.describe());
        }
    }

    @Test
    void infoAndNameWithNullNames() {
        Fence f = new NullNames();
        try (SyncFile file = SyncFile.create(f)) {
            SyncFileInfo info = file.info();
            assertEquals(1, info.fences().size());
            FenceInfo fi = info.fences().get(0);
            assertTrue(fi.timelineName().contains("timelineName"), fi.timelineName());
            assertTrue(fi.driverName().contains("driverName"), fi.driverName());
            assertEquals(FenceStatus.PENDING, fi.status());
            String name = file.name();
            assertTrue(name.contains("driverName") && name.endsWith("-7"), name);
        }
    }

    @Test
    void infoAndNameWithThrowingNames() {
        Fence f = new ThrowingNames();
        f.signal();
        try (SyncFile file = SyncFile.create(f)) {
            FenceInfo fi = file.info().fences().get(0);
            assertTrue(fi.timelineName().contains("ring gone"), fi.timelineName());
            assertTrue(fi.driverName().contains("driver unloaded"), fi.driverName());
            assertEquals(FenceStatus.SIGNALED, fi.status());
            assertTrue(file.name().contains("driver unloaded"), file.name());
        }
    }
}
