package ledger.tools;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.HdrHistogram.Histogram;

/**
 * `--plot file.png`: the latency distribution of a run as a percentile plot (the x axis spreads
 * the tail: 0, 90, 99, 99.9, 99.99 percent are equally spaced), the usual way to show HdrHistogram data.
 */
final class LatencyPlot {
  private static final int WIDTH = 900;
  private static final int HEIGHT = 500;
  private static final int LEFT = 70;
  private static final int RIGHT = 20;
  private static final int TOP = 40;
  private static final int BOTTOM = 50;
  private static final double NINES = 4; // up to 99.99 %

  private LatencyPlot() {}

  static void write(Histogram micros, Path file, String title) throws IOException {
    System.setProperty("java.awt.headless", "true");
    BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, WIDTH, HEIGHT);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    double maxMs = Math.max(1, micros.getMaxValue() / 1000.0);
    int plotW = WIDTH - LEFT - RIGHT;
    int plotH = HEIGHT - TOP - BOTTOM;
    g.setColor(Color.LIGHT_GRAY);
    for (int nines = 0; nines <= NINES; nines++) {
      int x = LEFT + (int) (plotW * nines / NINES);
      g.drawLine(x, TOP, x, TOP + plotH);
      g.setColor(Color.DARK_GRAY);
      String label = nines == 0 ? "0%" : String.format("%s%%", 100 - 100 / Math.pow(10, nines));
      label = label.replace(".0%", "%");
      g.drawString(label, Math.min(x - 15, WIDTH - 5 - g.getFontMetrics().stringWidth(label)), TOP + plotH + 18);
      g.setColor(Color.LIGHT_GRAY);
    }
    for (int i = 0; i <= 5; i++) {
      int y = TOP + plotH - plotH * i / 5;
      g.drawLine(LEFT, y, LEFT + plotW, y);
      g.setColor(Color.DARK_GRAY);
      g.drawString(String.format("%.0f ms", maxMs * i / 5), 5, y + 4);
      g.setColor(Color.LIGHT_GRAY);
    }
    g.setColor(new Color(0, 90, 180));
    g.setStroke(new BasicStroke(2f));
    int lastX = -1;
    int lastY = -1;
    for (int px = 0; px <= plotW; px++) {
      double nines = NINES * px / plotW;
      double percentile = 100 - 100 / Math.pow(10, nines);
      double ms = micros.getValueAtPercentile(percentile) / 1000.0;
      int x = LEFT + px;
      int y = TOP + plotH - (int) (plotH * ms / maxMs);
      if (lastX >= 0) {
        g.drawLine(lastX, lastY, x, y);
      }
      lastX = x;
      lastY = y;
    }
    g.setColor(Color.BLACK);
    g.drawString(title, LEFT, 20);
    g.drawString("percentile of requests", LEFT + plotW / 2 - 60, HEIGHT - 12);
    g.dispose();
    ImageIO.write(image, "png", file.toFile());
  }
}
