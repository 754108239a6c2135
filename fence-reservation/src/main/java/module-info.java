/**
 * Multi-object locking and implicit synchronization on top of {@code dev.fence.core}: wound/wait
 * mutexes ({@code WwMutex}), fence reservations
 * ({@code Reservation}), the {@code ExecContext}
 * retry loop and CPU access to shared buffers ({@code SharedBuffer}).
 */
module dev.fence.reservation {
    requires transitive dev.fence.core;
    requires org.slf4j;

    exports dev.fence.reservation;
}
