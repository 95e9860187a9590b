"""The source document's Python client example (websocket-api.zh.md, 使用示例 -> Python 客户端), verbatim.

Everything above the comment "Not from the source document" is the spec's own code, unchanged: it is
kept as written, not improved, so that this file shows the spec's example works against the server.
Only the ``__main__`` entry point differs: the spec's ``main()`` connects to a fixed URL and never
returns (its ``connect()`` reads messages until the connection closes, so the ``subscribe`` after it
is never reached), so this entry point takes the URL from the command line, and exits after N
``performance`` messages.

    python3 examples/spec_example.py 'ws://127.0.0.1:8080/ws?token=YOUR_KEY' [N]

The spec's class sends no headers: authenticate with ``?token=`` in the URL.
"""
import asyncio
import json
import websockets
from datetime import datetime

class WebSocketClient:
    def __init__(self, url):
        self.url = url
        self.websocket = None
        self.reconnect_attempts = 0
        self.max_reconnect_attempts = 5
        self.event_handlers = {}

    async def connect(self):
        while self.reconnect_attempts < self.max_reconnect_attempts:
            try:
                self.websocket = await websockets.connect(self.url)
                await self.setup_handlers()
                break
            except Exception as e:
                print(f"连接失败: {e}")
                self.reconnect_attempts += 1
                if self.reconnect_attempts < self.max_reconnect_attempts:
                    await asyncio.sleep(2 ** self.reconnect_attempts)

    async def setup_handlers(self):
        async for message in self.websocket:
            try:
                data = json.loads(message)
                await self.handle_message(data)
            except Exception as e:
                print(f"处理消息失败: {e}")

    async def handle_message(self, message):
        message_type = message.get('type')
        message_data = message.get('data')

        if message_type == 'performance':
            await self.update_performance_display(message_data)
        elif message_type == 'alert':
            await self.show_alert(message_data)
        elif message_type == 'pong':
            pass  # 心跳响应
        else:
            print(f"未知消息类型: {message_type}")

        # 触发自定义事件处理器
        if message_type in self.event_handlers:
            await self.event_handlers[message_type](message_data)

    async def subscribe(self, events, filters=None):
        message = {
            "type": "subscribe",
            "data": {"events": events, "filters": filters or {}}
        }
        await self.send_message(message)

    async def send_message(self, message):
        if self.websocket:
            await self.websocket.send(json.dumps(message))

    async def send_ping(self):
        await self.send_message({"type": "ping"})
        # 每30秒发送心跳
        await asyncio.sleep(30)
        await self.send_ping()

    def on_event(self, event_type, handler):
        self.event_handlers[event_type] = handler

    def off_event(self, event_type):
        if event_type in self.event_handlers:
            del self.event_handlers[event_type]

    async def update_performance_display(self, data):
        # 更新性能显示逻辑
        if 'cpu_percent' in data:
            print(f"CPU: {data['cpu_percent']:.1f}%")
        if 'memory_percent' in data:
            print(f"内存: {data['memory_percent']:.1f}%")

    async def show_alert(self, alert):
        # 显示告警逻辑
        print(f"告警: {alert['title']} - {alert['message']}")

    async def close(self):
        if self.websocket:
            await self.websocket.close()

# 使用示例
async def main():
    client = WebSocketClient("ws://localhost:8080/ws")

    # 注册事件处理器
    client.on_event("performance", lambda data: print(f"性能更新: {data}"))
    client.on_event("alert", lambda alert: print(f"告警: {alert['title']}"))

    # 连接并订阅事件
    await client.connect()
    await client.subscribe(["alert.cpu", "alert.memory"])

    # 保持连接
    try:
        while True:
            await asyncio.sleep(1)
    except KeyboardInterrupt:
        await client.close()


# ---------------------------------------------------------------------------------------------
# Not from the source document: an entry point that takes the URL from argv and exits after N
# performance messages (exit status 0 when they arrived, 1 otherwise).


async def run_until(url, count):
    client = WebSocketClient(url)
    received = 0

    async def on_performance(data):
        nonlocal received
        received += 1
        if received >= count:
            await client.close()

    client.on_event("performance", on_performance)
    await client.connect()
    print(f"received {received} performance messages", flush=True)
    return 0 if received >= count else 1


if __name__ == "__main__":
    import sys

    if len(sys.argv) not in (2, 3):
        print("usage: spec_example.py WS_URL [N]", file=sys.stderr)
        sys.exit(2)
    sys.exit(asyncio.run(run_until(sys.argv[1], int(sys.argv[2]) if len(sys.argv) == 3 else 3)))
