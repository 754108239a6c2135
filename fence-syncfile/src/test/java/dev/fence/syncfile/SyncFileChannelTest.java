package dev.fence.syncfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A SyncFile's channel in a Selector next to a loopback socket. */
class SyncFileChannelTest {

    private static Fence fresh() {
        return Fence.create(Fence.allocateContexts(1), 1);
    }

    @Test
    void syncFileAndSocketInOneSelector() throws Exception {
        Fence fence = fresh();
        try (Selector selector = Selector.open();
                ServerSocketChannel server = ServerSocketChannel.open();
                SyncFile sf = SyncFile.create("frame", fence)) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            try (SocketChannel client = SocketChannel.open(server.getLocalAddress());
                    SocketChannel peer = server.accept()) {
                peer.configureBlocking(false);
                SelectionKey socketKey = peer.register(selector, SelectionKey.OP_READ);
                SelectionKey syncKey = sf.channel().register(selector, SelectionKey.OP_READ);

                assertEquals(0, selector.selectNow(), "nothing is ready yet");

                client.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)));
                assertTrue(selector.select(10_000) > 0);
                assertTrue(selector.selectedKeys().contains(socketKey));
                assertFalse(selector.selectedKeys().contains(syncKey), "fence still pending");
                ByteBuffer buf = ByteBuffer.allocate(16);
                while (buf.position() < 5) {
                    peer.read(buf);
                }
                selector.selectedKeys().clear();

                // Signal from another thread once the loop is blocked in select().
                Thread loop = Thread.currentThread();
                Thread signaller = new Thread(() -> {
                    try {
                        TestSupport.awaitInNativeIo(loop);
                    } catch (InterruptedException e) {
                        return;
                    } finally {
                        fence.signal(); // even if the wait failed: the loop must not spin on
                    }
                });
                signaller.setDaemon(true);
                signaller.start();
                boolean syncSeen = false;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!syncSeen && System.nanoTime() < deadline) {
                    selector.select(1000);
                    for (SelectionKey k : selector.selectedKeys()) {
                        if (k == syncKey) {
                            assertTrue(k.isReadable());
                            syncSeen = true;
                        }
                    }
                    selector.selectedKeys().clear();
                }
                signaller.join();
                assertTrue(syncSeen, "the sync file became readable");
                assertTrue(fence.isSignaled());

                // Level-triggered: reading does not consume readiness.
                assertEquals(-1, sf.channel().read(ByteBuffer.allocate(4)));
                for (int i = 0; i < 3; i++) {
                    assertEquals(1, selector.selectNow());
                    assertTrue(selector.selectedKeys().contains(syncKey));
                    selector.selectedKeys().clear();
                }
            }
        }
    }

    @Test
    void channelIsCreatedOnceAndFreedOnClose() throws Exception {
        SyncFile sf = SyncFile.create(fresh());
        Pipe.SourceChannel ch = sf.channel();
        assertSame(ch, sf.channel());
        assertFalse(ch.isBlocking());
        assertEquals(0, ch.read(ByteBuffer.allocate(1)), "not readable while pending");
        sf.close();
        assertFalse(ch.isOpen());
        assertThrows(BadHandleException.class, sf::channel);
    }

    @Test
    void channelOfASignalledFileIsReadableAtOnce() throws Exception {
        Fence f = fresh();
        f.signal();
        try (SyncFile sf = SyncFile.create(f); Selector selector = Selector.open()) {
            SelectionKey key = sf.channel().register(selector, SelectionKey.OP_READ);
            assertEquals(1, selector.selectNow());
            assertTrue(key.isReadable());
        }
    }

    /**
     * The read runs in its own thread under a bounded get (a read never released used to hang
     * the suite), and the fence is signalled once that thread is blocked in the read, not on a
     * sleep.
     */
    @Test
    @Timeout(30)
    void blockingReadWaitsForTheSignal() throws Exception {
        Fence f = fresh();
        try (SyncFile sf = SyncFile.create(f)) {
            Pipe.SourceChannel ch = sf.channel();
            ch.configureBlocking(true);
            FutureTask<Integer> read = new FutureTask<>(() -> ch.read(ByteBuffer.allocate(1)));
            Thread reader = new Thread(read, "blocking-read");
            reader.setDaemon(true);
            reader.start();
            TestSupport.awaitInNativeIo(reader);
            assertFalse(read.isDone(), "the read returned before the signal");
            f.signal();
            assertEquals(-1, TestSupport.get(read));
            assertTrue(f.isSignaled());
        }
    }

    @Test
    void closingTheFileRemovesTheNotifier() throws Exception {
        Fence f = fresh();
        SyncFile sf = SyncFile.create(f);
        sf.channel();
        sf.close();
        // the notifier was unqueued: dropping the last reference leaves the fence pending
        assertTrue(f.release());
        assertFalse(f.isSignaled());
    }
}
