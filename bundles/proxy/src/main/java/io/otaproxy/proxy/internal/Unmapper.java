package io.otaproxy.proxy.internal;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;

/**
 * Unmaps a mapped file region as soon as its last write has completed, rather than when the garbage collector
 * finds the buffer: a region left to the collector keeps its pages in the process's resident set (and the file's
 * space, if evicted meanwhile) for an unknown time. The JDK 17 has no public call for this; the one the JDK
 * offers to libraries ({@code sun.misc.Unsafe.invokeCleaner}, module {@code jdk.unsupported}) is looked up
 * reflectively through the platform class loader, so no bundle imports {@code sun.misc}. Where it is missing,
 * {@link #available()} is false and bodies are not mapped at all.
 */
final class Unmapper {

    private static final MethodHandle INVOKE_CLEANER = lookup();

    private Unmapper() {
    }

    /** Whether regions can be unmapped on demand. */
    static boolean available() {
        return INVOKE_CLEANER != null;
    }

    /**
     * Unmaps {@code mapped} now. The caller guarantees nothing touches it any more: a later access would crash
     * the process.
     */
    static void unmap(final ByteBuffer mapped) {
        try {
            INVOKE_CLEANER.invokeExact(mapped);
        } catch (final Throwable t) {
            // left to the garbage collector
        }
    }

    private static MethodHandle lookup() {
        try {
            final Class<?> unsafeClass = ClassLoader.getPlatformClassLoader().loadClass("sun.misc.Unsafe");
            final Field f = unsafeClass.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            final Object unsafe = f.get(null);
            return MethodHandles.lookup()
                    .findVirtual(unsafeClass, "invokeCleaner", MethodType.methodType(void.class, ByteBuffer.class))
                    .bindTo(unsafe);
        } catch (final ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null;
        }
    }
}
